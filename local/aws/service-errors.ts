import { AwsError } from "./errors";
import type { ServiceName } from "./routing";

/**
 * Each service's own code for "slow down" and for a server-side failure, so the SDK raises the
 * exception a real endpoint would cause (and its retry strategy classifies it the same way).
 * - EC2: `RequestLimitExceeded` (503) and `InternalError` (500), both listed as server errors in
 *   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html#api-error-codes-table-server
 *   (the HTTP status of throttling: shared/aws-limits.md).
 * - CloudWatch: `Throttling` (400), https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CommonErrors.html;
 *   `InternalServiceError` (500), the `InternalServiceFault` of
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html#API_PutMetricData_Errors
 * - SSM: `ThrottlingException` (400) and `InternalServerError` (500), the common and modeled errors of
 *   https://docs.aws.amazon.com/systems-manager/latest/APIReference/CommonErrors.html
 * - SNS: `Throttled` (429) and `InternalError` (500), the `ThrottledException` and
 *   `InternalErrorException` of https://docs.aws.amazon.com/sns/latest/api/API_Publish.html#API_Publish_Errors
 */
export function throttlingError(service: ServiceName | undefined): AwsError {
  if (service === "cloudwatch") return new AwsError("Throttling", "Rate exceeded", 400);
  if (service === "sns") return new AwsError("Throttled", "Rate exceeded", 429);
  if (service === "ssm") return new AwsError("ThrottlingException", "Rate exceeded", 400);
  return new AwsError("RequestLimitExceeded", "Request limit exceeded.", 503, "Receiver");
}

export function internalError(service: ServiceName | undefined): AwsError {
  const message = "We encountered an internal error. Please try again.";
  if (service === "cloudwatch") return new AwsError("InternalServiceError", message, 500, "Receiver");
  if (service === "ssm") return new AwsError("InternalServerError", message, 500, "Receiver");
  return new AwsError("InternalError", message, 500, "Receiver");
}
