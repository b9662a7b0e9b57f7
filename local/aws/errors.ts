/**
 * An error the emulator returns on the wire. `code` is AWS's own error code (the client SDK maps it
 * to an exception name), `status` the HTTP status AWS uses for it.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
 */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly sender: "Sender" | "Receiver" = "Sender",
  ) {
    super(message);
    this.name = "AwsError";
  }
}

export function missingParameter(name: string): AwsError {
  return new AwsError("MissingParameter", `The request must contain the parameter ${name}`);
}

export function invalidParameterValue(message: string): AwsError {
  return new AwsError("InvalidParameterValue", message);
}
