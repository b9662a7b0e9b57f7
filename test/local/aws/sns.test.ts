import {
  CreateTopicCommand,
  ListSubscriptionsCommand,
  ListTopicsCommand,
  PublishCommand,
  SubscribeCommand,
} from "@aws-sdk/client-sns";
import { failure, type Harness, startHarness } from "./harness";

const API = "https://docs.aws.amazon.com/sns/latest/api";

let h: Harness;

beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.emulator.stop());

describe("SNS over awsQuery", () => {
  it(`creates topics idempotently by name (${API}/API_CreateTopic.html)`, async () => {
    const sns = h.sns();

    const first = await sns.send(new CreateTopicCommand({ Name: "alerts" }));
    const again = await sns.send(new CreateTopicCommand({ Name: "alerts" }));
    const { Topics } = await sns.send(new ListTopicsCommand({}));

    expect(first.TopicArn).toBe("arn:aws:sns:us-east-1:000000000000:alerts");
    expect(again.TopicArn).toBe(first.TopicArn);
    expect(Topics).toEqual([{ TopicArn: first.TopicArn }]);
  });

  it(`records published messages with the simulated time (${API}/API_Publish.html)`, async () => {
    const sns = h.sns("us-west-2");
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "alerts" }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: "email", Endpoint: "ops@example.com" }));
    h.clock.advance(5_000);

    const { MessageId } = await sns.send(
      new PublishCommand({ TopicArn, Subject: "Backup failed", Message: "vol-1 <&>" }),
    );
    const subs = await sns.send(new ListSubscriptionsCommand({}));

    expect(subs.Subscriptions?.[0]).toMatchObject({
      TopicArn,
      Protocol: "email",
      Endpoint: "ops@example.com",
    });
    expect(h.emulator.published()).toEqual([
      {
        region: "us-west-2",
        topicArn: TopicArn,
        subject: "Backup failed",
        message: "vol-1 <&>",
        messageId: MessageId,
        timestamp: new Date(Date.UTC(2026, 0, 1) + 5_000),
      },
    ]);
  });

  it("answers NotFound (HTTP 404) when publishing to an unknown topic", async () => {
    const err = await failure(
      h.sns().send(new PublishCommand({ TopicArn: "arn:aws:sns:us-east-1:000000000000:nope", Message: "x" })),
    );

    expect(err).toMatchObject({ name: "NotFoundException", status: 404 });
  });
});
