import { CLOUDWATCH_XMLNS, cloudWatchJsonErrorType } from "./cloudwatch";
import { AwsError } from "./errors";
import { MalformedInputError } from "./protocol/input";
import { ec2ErrorReply, jsonErrorReply, queryErrorReply, type Reply } from "./protocol/wire";
import type { Envelope } from "./routing";
import { SNS_XMLNS } from "./sns";

type Addressee = Pick<Envelope, "service" | "protocol" | "unknownService" | "jsonContentType">;

/**
 * Anything thrown while a request is read or served, as the AWS error its protocol would carry:
 * an unreadable encoding is `SerializationException` (JSON) or `MalformedQueryString` (query), both
 * client errors; anything else unexpected is the service's 500.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CommonErrors.html
 */
export function asAwsError(err: unknown, protocol: Envelope["protocol"]): AwsError {
  if (err instanceof AwsError) return err;
  if (err instanceof MalformedInputError) {
    return new AwsError(protocol === "json" ? "SerializationException" : "MalformedQueryString", err.message);
  }
  return new AwsError("InternalError", `Emulator failure: ${(err as Error).message}`, 500, "Receiver");
}

/** An error in the protocol the request spoke: ec2Query, awsQuery (CloudWatch, SNS, others) or awsJson. */
export function errorReply(to: Addressee, error: AwsError, requestId: string): Reply {
  if (to.protocol === "json") {
    if (to.service === "ssm") {
      // SSM is plain awsJson1_1, not in awsQuery-compatible mode: no x-amzn-query-error header.
      const { "x-amzn-query-error": _, ...headers } = jsonErrorReply(
        error,
        error.code,
        requestId,
        to.jsonContentType,
      ).headers;
      return {
        status: error.status,
        headers,
        body: JSON.stringify({ __type: error.code, message: error.message }),
      };
    }
    const type = to.service === "cloudwatch" ? cloudWatchJsonErrorType(error.code) : error.code;
    return jsonErrorReply(error, type, requestId, to.jsonContentType);
  }
  if (to.service === "sns") return queryErrorReply(error, SNS_XMLNS, requestId);
  if (to.service === "cloudwatch") return queryErrorReply(error, CLOUDWATCH_XMLNS, requestId);
  if (to.unknownService !== undefined) {
    return queryErrorReply(error, `https://${to.unknownService}.amazonaws.com/doc/`, requestId);
  }
  return ec2ErrorReply(error, requestId);
}

/** The refusal of a request for a service the emulator does not serve, naming that service. */
export function unknownServiceError(to: Addressee): AwsError {
  const served =
    "it serves ec2, monitoring (CloudWatch), sns, ssm, states (Step Functions), events (EventBridge) and s3";
  const message = `The embedded AWS does not serve the service '${to.unknownService}': ${served}.`;
  return new AwsError(to.protocol === "json" ? "UnknownOperationException" : "InvalidAction", message);
}
