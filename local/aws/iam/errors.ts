import { AwsError } from "../errors";
import type { ServiceName } from "../routing";
import type { AuthorizationCheck, Decision } from "./policy";

/**
 * The error each service answers a denied call with, in AWS's wording ("User: <arn> is not
 * authorized to perform: <action> on resource: <arn> because no identity-based policy allows the
 * <action> action", or "... with an explicit deny in an identity-based policy").
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
 * - EC2: `UnauthorizedOperation` (403), "You are not authorized to perform this operation. ..."
 *   followed by an encoded authorization failure message.
 *   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
 *   https://repost.aws/knowledge-center/ec2-not-auth-launch
 * - CloudWatch: `AccessDenied` (403), no "on resource" for actions on `*`.
 * - SNS: `AuthorizationError` (403), the action spelled `SNS:Publish`.
 *   https://docs.aws.amazon.com/sns/latest/api/API_Publish.html#API_Publish_Errors
 * - SSM: `AccessDeniedException` (400, awsJson1_1).
 *   https://docs.aws.amazon.com/systems-manager/latest/APIReference/CommonErrors.html
 * - S3: `AccessDenied` (403), the resource ARN in quotes.
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html
 *
 * Unlike AWS's, the "encoded" message is plain base64 JSON (decode it with
 * `Buffer.from(m, "base64")`): the principal, action, resource and context keys that were evaluated.
 */
export function denial(
  service: ServiceName | "s3",
  principalArn: string,
  check: AuthorizationCheck,
  decision: Exclude<Decision, "allow">,
): AwsError {
  const action = service === "sns" ? check.action.replace(/^sns:/, "SNS:") : check.action;
  const why =
    decision === "explicitDeny"
      ? "with an explicit deny in an identity-based policy"
      : `because no identity-based policy allows the ${action} action`;
  const resource = service === "s3" ? `"${check.resource}"` : check.resource;
  const onResource = check.resource === "*" && service === "cloudwatch" ? "" : ` on resource: ${resource}`;
  const sentence = `User: ${principalArn} is not authorized to perform: ${action}${onResource} ${why}`;
  if (service === "ec2") {
    const encoded = Buffer.from(
      JSON.stringify({
        allowed: false,
        explicitDeny: decision === "explicitDeny",
        context: {
          principal: { arn: principalArn },
          action: check.action,
          resource: check.resource,
          conditions: Object.fromEntries(check.context),
        },
      }),
    ).toString("base64");
    return new AwsError(
      "UnauthorizedOperation",
      `You are not authorized to perform this operation. ${sentence}. Encoded authorization failure message: ${encoded}`,
      403,
    );
  }
  if (service === "sns") return new AwsError("AuthorizationError", sentence, 403);
  if (service === "ssm") return new AwsError("AccessDeniedException", sentence, 400);
  return new AwsError("AccessDenied", sentence, 403);
}
