// The IAM Condition of the restore role's instance statement (serverless.yml,
// SwapOnSelectedInstances): the instance must carry the selection tag with a true value. IAM
// condition keys are literal strings, and Serverless resolves no variables in YAML keys, so the
// key is written here from the value packaged as SelectionTagKey's Default; the CloudFormation
// rule SelectionTagKeyAsPackaged keeps the deployed parameter equal to it. Tag keys in condition
// keys and StringEqualsIgnoreCase values match regardless of case, as the backup's selection does.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourcetag
const TRUE_VALUES = ["true", "yes", "on", "1"];

module.exports = async ({ resolveVariable }) => {
  const key = await resolveVariable("self:resources.Parameters.SelectionTagKey.Default");
  return { StringEqualsIgnoreCase: { [`aws:ResourceTag/${key}`]: TRUE_VALUES } };
};
