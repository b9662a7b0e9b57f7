import { randomUUID } from "node:crypto";
import type { EmulatorClock } from "./clock";
import { AwsError, invalidParameterValue, missingParameter } from "./errors";
import { bool, type Input, obj, objList, str, strList } from "./protocol/input";
import { type Output, OutputMap } from "./protocol/xml";

export const SNS_XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/";

export interface SnsMessage {
  region: string;
  topicArn: string;
  subject?: string;
  message: string;
  messageId: string;
  timestamp: Date;
}

interface Topic {
  attributes: Map<string, string>;
  tags: Map<string, string>;
}

interface Subscription {
  SubscriptionArn: string;
  Owner: string;
  Protocol: string;
  Endpoint: string;
  TopicArn: string;
}

export const SNS_ACTIONS = [
  "CreateTopic",
  "ListTopics",
  "Subscribe",
  "ListSubscriptions",
  "Publish",
  "GetTopicAttributes",
  "SetTopicAttributes",
  "DeleteTopic",
  "ListSubscriptionsByTopic",
  "TagResource",
  "UntagResource",
  "ListTagsForResource",
] as const;

/** "ListTopics returns a list of up to 100 topics", ListSubscriptions(ByTopic) likewise. */
const PAGE = 100;

/** The attributes SetTopicAttributes may change. https://docs.aws.amazon.com/sns/latest/api/API_SetTopicAttributes.html */
const SETTABLE = new Set([
  "DeliveryPolicy",
  "DisplayName",
  "Policy",
  "TracingConfig",
  "KmsMasterKeyId",
  "SignatureVersion",
  "ContentBasedDeduplication",
  "ArchivePolicy",
  "FifoThroughputScope",
]);
const ACTIONS = new Set<string>(SNS_ACTIONS);

const PENDING = "pending confirmation";

/** Pages of 100 with an opaque NextToken (an offset), as SNS's list calls answer. */
function paged<T>(items: T[], input: Input): { items: T[]; next: string | undefined } {
  const token = str(input, "NextToken");
  const start = token === undefined ? 0 : Number(Buffer.from(token, "base64url").toString("utf8"));
  if (
    token !== undefined &&
    (!Number.isInteger(start) ||
      start < 0 ||
      start > items.length ||
      Buffer.from(String(start)).toString("base64url") !== token)
  )
    throw new AwsError("InvalidParameter", "Invalid parameter: NextToken");
  const end = start + PAGE;
  return {
    items: items.slice(start, end),
    next: end < items.length ? Buffer.from(String(end)).toString("base64url") : undefined,
  };
}

/** An awsQuery map (`Attributes.entry.N.key` / `.value`) or a JSON object. */
function attributeMap(input: Input, key: string): [string, string][] {
  const node = obj(input, key);
  if (!node) return [];
  const entries = obj(node, "entry");
  if (!entries) return Object.entries(node).map(([k, v]) => [k, String(v)]);
  return Object.values(entries)
    .filter((e): e is Input => e !== null && typeof e === "object")
    .map((e) => [str(e, "key") ?? "", str(e, "value") ?? ""]);
}

function notFound(message: string): AwsError {
  return new AwsError("NotFound", message, 404);
}

/** SNS per region: topics, subscriptions (stored, not delivered) and the log of published messages. */
export class SnsService {
  private readonly topics = new Map<string, Map<string, Topic>>();
  private readonly subscriptions: Subscription[] = [];
  readonly published: SnsMessage[] = [];

  constructor(
    private readonly clock: EmulatorClock,
    private readonly accountId: string,
  ) {}

  static handles(action: string): boolean {
    return ACTIONS.has(action);
  }

  private regionTopics(region: string): Map<string, Topic> {
    let t = this.topics.get(region);
    if (!t) {
      t = new Map();
      this.topics.set(region, t);
    }
    return t;
  }

  private requireTopic(region: string, arn: string | undefined, param: string): string {
    if (arn === undefined)
      throw new AwsError(
        "InvalidParameter",
        `Invalid parameter: ${param} Reason: no value for required parameter`,
      );
    if (!this.regionTopics(region).has(arn)) throw notFound("Topic does not exist");
    return arn;
  }

  private topic(region: string, input: Input, param = "TopicArn"): [string, Topic] {
    const arn = this.requireTopic(region, str(input, param), param);
    return [arn, this.regionTopics(region).get(arn) as Topic];
  }

  handle(region: string, action: string, input: Input): Output {
    switch (action) {
      case "CreateTopic":
        return this.createTopic(region, input);
      case "ListTopics": {
        const page = paged([...this.regionTopics(region).keys()], input);
        return { Topics: page.items.map((TopicArn) => ({ TopicArn })), NextToken: page.next };
      }
      case "Subscribe":
        return this.subscribe(region, input);
      case "ListSubscriptions":
        return this.listSubscriptions(region, input, undefined);
      case "ListSubscriptionsByTopic":
        return this.listSubscriptions(region, input, this.topic(region, input)[0]);
      case "GetTopicAttributes":
        return this.topicAttributes(region, input);
      case "SetTopicAttributes":
        return this.setTopicAttributes(region, input);
      case "DeleteTopic":
        return this.deleteTopic(region, input);
      case "TagResource":
      case "UntagResource":
      case "ListTagsForResource":
        return this.tagCall(region, action, input);
      case "Publish":
        return this.publish(region, input);
      default:
        throw new AwsError("InvalidAction", `The action ${action} is not valid for this web service.`);
    }
  }

  /** Idempotent by name. https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html */
  private createTopic(region: string, input: Input): Output {
    const name = str(input, "Name");
    if (name === undefined) throw missingParameter("Name");
    if (!/^[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(name))
      throw invalidParameterValue("Invalid parameter: Topic Name");
    const TopicArn = `arn:aws:sns:${region}:${this.accountId}:${name}`;
    const topics = this.regionTopics(region);
    if (!topics.has(TopicArn)) {
      const attributes = new Map(attributeMap(input, "Attributes"));
      const tags = new Map(objList(input, "Tags").map((t) => [str(t, "Key") ?? "", str(t, "Value") ?? ""]));
      topics.set(TopicArn, { attributes, tags });
    }
    return { TopicArn };
  }

  /** https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html */
  private subscribe(region: string, input: Input): Output {
    const topicArn = this.requireTopic(region, str(input, "TopicArn"), "TopicArn");
    const protocol = str(input, "Protocol");
    if (protocol === undefined) throw missingParameter("Protocol");
    const endpoint = str(input, "Endpoint") ?? "";
    // E-mail, HTTP(S) and SMS-confirmed endpoints must confirm first: until then AWS answers (and
    // lists) the subscription as "pending confirmation" unless ReturnSubscriptionArn is true.
    const confirms = ["email", "email-json", "http", "https"].includes(protocol);
    const arn = `${topicArn}:${randomUUID()}`;
    const sub: Subscription = {
      SubscriptionArn: confirms ? PENDING : arn,
      Owner: this.accountId,
      Protocol: protocol,
      Endpoint: endpoint,
      TopicArn: topicArn,
    };
    this.subscriptions.push(sub);
    return {
      SubscriptionArn: confirms && bool(input, "ReturnSubscriptionArn") === true ? arn : sub.SubscriptionArn,
    };
  }

  /** https://docs.aws.amazon.com/sns/latest/api/API_ListSubscriptionsByTopic.html */
  private listSubscriptions(region: string, input: Input, topicArn: string | undefined): Output {
    const matching = this.subscriptions.filter(
      (s) => s.TopicArn.split(":")[3] === region && (topicArn === undefined || s.TopicArn === topicArn),
    );
    const page = paged(matching, input);
    return { Subscriptions: page.items.map((s) => ({ ...s })), NextToken: page.next };
  }

  /** https://docs.aws.amazon.com/sns/latest/api/API_GetTopicAttributes.html */
  private topicAttributes(region: string, input: Input): Output {
    const [arn, topic] = this.topic(region, input);
    const subs = this.subscriptions.filter((s) => s.TopicArn === arn);
    const pending = subs.filter((s) => s.SubscriptionArn === PENDING).length;
    const attributes: Record<string, string> = {
      TopicArn: arn,
      Owner: this.accountId,
      DisplayName: "",
      Policy: JSON.stringify({
        Version: "2008-10-17",
        Id: "__default_policy_ID",
        Statement: [
          {
            Sid: "__default_statement_ID",
            Effect: "Allow",
            Principal: { AWS: "*" },
            Action: ["SNS:Publish", "SNS:Subscribe", "SNS:GetTopicAttributes"],
            Resource: arn,
            Condition: { StringEquals: { "AWS:SourceOwner": this.accountId } },
          },
        ],
      }),
      SubscriptionsConfirmed: String(subs.length - pending),
      SubscriptionsPending: String(pending),
      SubscriptionsDeleted: "0",
      EffectiveDeliveryPolicy: JSON.stringify({
        http: { defaultHealthyRetryPolicy: { numRetries: 3, minDelayTarget: 20, maxDelayTarget: 20 } },
      }),
      ...Object.fromEntries(topic.attributes),
    };
    return { Attributes: new OutputMap(attributes) };
  }

  private setTopicAttributes(region: string, input: Input): Output {
    const [, topic] = this.topic(region, input);
    const name = str(input, "AttributeName") ?? "";
    if (!SETTABLE.has(name)) throw invalidParameterValue(`Invalid parameter: AttributeName`);
    topic.attributes.set(name, str(input, "AttributeValue") ?? "");
    return undefined;
  }

  /** Deleting a topic that does not exist succeeds. https://docs.aws.amazon.com/sns/latest/api/API_DeleteTopic.html */
  private deleteTopic(region: string, input: Input): Output {
    const arn = str(input, "TopicArn") ?? "";
    this.regionTopics(region).delete(arn);
    for (let n = this.subscriptions.length - 1; n >= 0; n--) {
      if (this.subscriptions[n]?.TopicArn === arn) this.subscriptions.splice(n, 1);
    }
    return undefined;
  }

  /**
   * At most 50 tags per topic, keys 1-128 and values up to 256 characters.
   * https://docs.aws.amazon.com/sns/latest/api/API_TagResource.html
   */
  private tagCall(region: string, action: string, input: Input): Output {
    const [, topic] = this.topic(region, input, "ResourceArn");
    if (action === "ListTagsForResource")
      return { Tags: [...topic.tags].map(([Key, Value]) => ({ Key, Value })) };
    if (action === "UntagResource") {
      for (const k of strList(input, "TagKeys")) topic.tags.delete(k);
      // An empty result element, not none: TagResource and UntagResource have an output shape.
      return {};
    }
    const tags = objList(input, "Tags").map((t) => [str(t, "Key") ?? "", str(t, "Value") ?? ""] as const);
    if (new Set([...topic.tags.keys(), ...tags.map(([k]) => k)]).size > 50)
      throw new AwsError(
        "TagLimitExceeded",
        "Could not complete request: tag quota of per resource exceeded",
      );
    for (const [k] of tags) {
      if (k.startsWith("aws:"))
        throw new AwsError("InvalidParameter", "Invalid parameter: Tags (reserved prefix aws:)");
    }
    for (const [k, v] of tags) topic.tags.set(k, v);
    return {};
  }

  /** https://docs.aws.amazon.com/sns/latest/api/API_Publish.html */
  private publish(region: string, input: Input): Output {
    const topicArn = this.requireTopic(region, str(input, "TopicArn") ?? str(input, "TargetArn"), "TopicArn");
    const message = str(input, "Message");
    if (message === undefined) throw missingParameter("Message");
    const subject = str(input, "Subject");
    const messageId = randomUUID();
    this.published.push({
      region,
      topicArn,
      message,
      messageId,
      timestamp: this.clock.now(),
      ...(subject !== undefined ? { subject } : {}),
    });
    return { MessageId: messageId };
  }
}
