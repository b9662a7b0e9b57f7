import { request } from "node:http";

/** A raw HTTP exchange with the emulator, for requests no SDK would send. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface RawRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** SigV4-looking credential scope for `service` in `region` (the emulator does not check signatures). */
export function signedAs(
  service: string,
  region = "us-east-1",
  accessKeyId = "test",
): Record<string, string> {
  return {
    authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20260101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
  };
}

export const FORM = { "content-type": "application/x-www-form-urlencoded; charset=utf-8" };

export function cloudWatchJson(action: string): Record<string, string> {
  return {
    ...signedAs("monitoring"),
    "content-type": "application/x-amz-json-1.0",
    "x-amz-target": `GraniteServiceVersion20100801.${action}`,
  };
}

export function raw(endpoint: string, r: RawRequest): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${endpoint}${r.path ?? "/"}`,
      { method: r.method ?? "POST", headers: r.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(r.body ?? "");
  });
}

/** The `<Code>` of an XML error, or the `__type` (after `#`) of a JSON one. */
export function errorCode(a: RawAnswer): string | undefined {
  const xml = /<Code>([^<]*)<\/Code>/.exec(a.body)?.[1];
  if (xml !== undefined) return xml;
  try {
    const type = (JSON.parse(a.body) as { __type?: string }).__type;
    return type?.slice(type.indexOf("#") + 1);
  } catch {
    return undefined;
  }
}

/**
 * Streams a body of `declared` bytes (Content-Length, or chunked when `chunked`), stopping as soon
 * as the emulator answers; resolves with the answer and how many bytes were sent by then.
 */
export function stream(
  endpoint: string,
  headers: Record<string, string>,
  declared: number,
  chunked = false,
): Promise<{ status: number; body: string; sent: number }> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = request(endpoint, {
      method: "POST",
      headers: chunked ? headers : { ...headers, "content-length": String(declared) },
    });
    req.on("response", (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), sent }),
      );
    });
    req.on("error", (err) => (answered ? undefined : reject(err)));
    const chunk = Buffer.alloc(64 * 1024, "a");
    const pump = () => {
      while (!answered && sent < declared) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once("drain", pump);
          return;
        }
      }
      if (!answered) req.end();
    };
    pump();
  });
}
