// Adds `custom.cloudFormationRules` to the packaged template as its Rules section. Serverless v3's
// schema for `resources` has no Rules (and configValidationMode: error refuses unknown keys), while
// CloudFormation checks Rules before it creates or changes anything, with the assertion's own text
// as the error: the place for checks of parameter values against each other.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/rules-section-structure.html
class CloudFormationRules {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { "before:package:finalize": () => this.addRules() };
  }

  addRules() {
    const rules = this.serverless.service.custom?.cloudFormationRules;
    if (!rules) return;
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    template.Rules = { ...template.Rules, ...rules };
  }
}

module.exports = CloudFormationRules;
