import type { AwsError } from "../errors";
import { document, element, type Output, OutputMap } from "./xml";

/** An HTTP reply, ready to write. */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const XML = { "content-type": "text/xml;charset=UTF-8" };

function children(output: Output, itemName: string): string {
  if (output === undefined) return "";
  if (
    typeof output !== "object" ||
    Array.isArray(output) ||
    output instanceof Date ||
    output instanceof OutputMap
  ) {
    throw new TypeError("an operation's output must be a structure");
  }
  return Object.entries(output)
    .map(([k, v]) => element(k, v, itemName))
    .join("");
}

/** ec2Query: `<ActionResponse>` with the members at top level and lists of `<item>`. */
export function ec2Reply(action: string, output: Output, requestId: string): Reply {
  const body = document(
    `${action}Response`,
    "http://ec2.amazonaws.com/doc/2016-11-15/",
    `<requestId>${requestId}</requestId>${children(output, "item")}`,
  );
  return { status: 200, headers: XML, body };
}

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html#api-error-response */
export function ec2ErrorReply(error: AwsError, requestId: string): Reply {
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>${element("Code", error.code, "item")}` +
    `${element("Message", error.message, "item")}</Error></Errors><RequestID>${requestId}</RequestID></Response>`;
  return { status: error.status, headers: XML, body };
}

/** awsQuery: `<ActionResponse><ActionResult>` with lists of `<member>`. */
export function queryReply(action: string, xmlns: string, output: Output, requestId: string): Reply {
  const result =
    output === undefined ? "" : `<${action}Result>${children(output, "member")}</${action}Result>`;
  const meta = `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>`;
  return { status: 200, headers: XML, body: document(`${action}Response`, xmlns, result + meta) };
}

export function queryErrorReply(error: AwsError, xmlns: string, requestId: string): Reply {
  const inner =
    `<Error><Type>${error.sender}</Type>${element("Code", error.code, "member")}` +
    `${element("Message", error.message, "member")}</Error><RequestId>${requestId}</RequestId>`;
  return { status: error.status, headers: XML, body: document("ErrorResponse", xmlns, inner) };
}

/** awsJson1_0 represents timestamps as epoch seconds. */
function toJson(value: Output): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (value instanceof OutputMap) return toJson(value.entries);
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, toJson(v)]),
    );
  }
  return value;
}

const JSON_TYPE = { "content-type": "application/x-amz-json-1.0" };

export function jsonReply(output: Output, requestId: string, contentType = JSON_TYPE["content-type"]): Reply {
  const body = JSON.stringify(toJson(output ?? {}));
  return { status: 200, headers: { "content-type": contentType, "x-amzn-requestid": requestId }, body };
}

/**
 * A JSON error for a service in awsQuery-compatible mode: the `x-amzn-query-error` header carries
 * the query error code so the SDK reports the same code under both protocols.
 */
export function jsonErrorReply(
  error: AwsError,
  errorType: string,
  requestId: string,
  contentType = JSON_TYPE["content-type"],
): Reply {
  return {
    status: error.status,
    headers: {
      "content-type": contentType,
      "x-amzn-requestid": requestId,
      "x-amzn-query-error": `${error.code};${error.sender}`,
    },
    body: JSON.stringify({ __type: errorType, message: error.message }),
  };
}
