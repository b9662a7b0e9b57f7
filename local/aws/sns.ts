import { randomUUID } from "node:crypto";
import type { EmulatorClock } from "./clock";
import { AwsError, invalidParameterValue, missingParameter } from "./errors";
import { type Input, str } from "./protocol/input";
import type { Output } from "./protocol/xml";

export const SNS_XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/";

export interface SnsMessage {
  region: string;
  topicArn: string;
  subject?: string;
  message: string;
  messageId: string;
  timestamp: Date;
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
] as const;
const ACTIONS = new Set<string>(SNS_ACTIONS);

function notFound(message: string): AwsError {
  return new AwsError("NotFound", message, 404);
}

/** SNS per region: topics, subscriptions (stored, not delivered) and the log of published messages. */
export class SnsService {
  private readonly topics = new Map<string, Set<string>>();
  private readonly subscriptions: Subscription[] = [];
  readonly published: SnsMessage[] = [];

  constructor(
    private readonly clock: EmulatorClock,
    private readonly accountId: string,
  ) {}

  static handles(action: string): boolean {
    return ACTIONS.has(action);
  }

  private regionTopics(region: string): Set<string> {
    let t = this.topics.get(region);
    if (!t) {
      t = new Set();
      this.topics.set(region, t);
    }
    return t;
  }

  private requireTopic(region: string, arn: string | undefined, param: string): string {
    if (arn === undefined) throw missingParameter(param);
    if (!this.regionTopics(region).has(arn)) throw notFound("Topic does not exist");
    return arn;
  }

  handle(region: string, action: string, input: Input): Output {
    switch (action) {
      case "CreateTopic":
        return this.createTopic(region, input);
      case "ListTopics":
        return { Topics: [...this.regionTopics(region)].map((TopicArn) => ({ TopicArn })) };
      case "Subscribe":
        return this.subscribe(region, input);
      case "ListSubscriptions":
        return {
          Subscriptions: this.subscriptions
            .filter((s) => s.TopicArn.split(":")[3] === region)
            .map((s) => ({ ...s })),
        };
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
    this.regionTopics(region).add(TopicArn);
    return { TopicArn };
  }

  /** https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html */
  private subscribe(region: string, input: Input): Output {
    const topicArn = this.requireTopic(region, str(input, "TopicArn"), "TopicArn");
    const protocol = str(input, "Protocol");
    if (protocol === undefined) throw missingParameter("Protocol");
    const sub: Subscription = {
      SubscriptionArn: `${topicArn}:${randomUUID()}`,
      Owner: this.accountId,
      Protocol: protocol,
      Endpoint: str(input, "Endpoint") ?? "",
      TopicArn: topicArn,
    };
    this.subscriptions.push(sub);
    return { SubscriptionArn: sub.SubscriptionArn };
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
