import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTagsForResourceCommand,
  ListTopicsCommand,
  SetTopicAttributesCommand,
  SubscribeCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-sns";
import { failure, type Harness, startHarness } from "./harness";

const API = "https://docs.aws.amazon.com/sns/latest/api";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ quotas: false });
});
afterEach(() => h.emulator.stop());

const topic = async (Name = "alerts") =>
  (await h.sns().send(new CreateTopicCommand({ Name }))).TopicArn as string;

describe("SNS topic calls", () => {
  it(`answers an e-mail subscription "pending confirmation" (${API}/API_Subscribe.html)`, async () => {
    const arn = await topic();

    const email = await h
      .sns()
      .send(new SubscribeCommand({ TopicArn: arn, Protocol: "email", Endpoint: "ops@example.com" }));
    const sqs = await h.sns().send(
      new SubscribeCommand({
        TopicArn: arn,
        Protocol: "sqs",
        Endpoint: "arn:aws:sqs:us-east-1:000000000000:q",
      }),
    );
    const listed = await h.sns().send(new ListSubscriptionsByTopicCommand({ TopicArn: arn }));
    const attributes = await h.sns().send(new GetTopicAttributesCommand({ TopicArn: arn }));

    expect(email.SubscriptionArn).toBe("pending confirmation");
    expect(sqs.SubscriptionArn).toMatch(new RegExp(`^${arn}:`));
    expect(listed.Subscriptions?.map((s) => s.SubscriptionArn)).toEqual([
      "pending confirmation",
      sqs.SubscriptionArn,
    ]);
    expect(attributes.Attributes).toMatchObject({
      TopicArn: arn,
      SubscriptionsPending: "1",
      SubscriptionsConfirmed: "1",
    });
  });

  it(`sets and reads a topic attribute (${API}/API_SetTopicAttributes.html)`, async () => {
    const arn = await topic();

    await h
      .sns()
      .send(
        new SetTopicAttributesCommand({ TopicArn: arn, AttributeName: "DisplayName", AttributeValue: "Ops" }),
      );
    const out = await h.sns().send(new GetTopicAttributesCommand({ TopicArn: arn }));

    expect(out.Attributes?.DisplayName).toBe("Ops");
  });

  it(`deletes a topic and its subscriptions (${API}/API_DeleteTopic.html)`, async () => {
    const arn = await topic();
    await h
      .sns()
      .send(new SubscribeCommand({ TopicArn: arn, Protocol: "email", Endpoint: "ops@example.com" }));

    await h.sns().send(new DeleteTopicCommand({ TopicArn: arn }));
    const error = await failure(h.sns().send(new GetTopicAttributesCommand({ TopicArn: arn })));

    expect(error).toMatchObject({ name: "NotFoundException", status: 404 });
    expect((await h.sns().send(new ListTopicsCommand({}))).Topics).toEqual([]);
  });

  it(`tags, lists and untags a topic (${API}/API_TagResource.html)`, async () => {
    const arn = await topic();

    await h.sns().send(
      new TagResourceCommand({
        ResourceArn: arn,
        Tags: [
          { Key: "team", Value: "ops" },
          { Key: "env", Value: "dev" },
        ],
      }),
    );
    await h.sns().send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ["env"] }));
    const out = await h.sns().send(new ListTagsForResourceCommand({ ResourceArn: arn }));

    expect(out.Tags).toEqual([{ Key: "team", Value: "ops" }]);
  });

  it(`pages ListTopics 100 at a time (${API}/API_ListTopics.html)`, async () => {
    for (let n = 0; n < 105; n += 15)
      await Promise.all(Array.from({ length: 15 }, (_, k) => topic(`t${n + k}`)));

    const first = await h.sns().send(new ListTopicsCommand({}));
    const second = await h.sns().send(new ListTopicsCommand({ NextToken: first.NextToken }));

    expect(first.Topics).toHaveLength(100);
    expect(second.Topics).toHaveLength(5);
    expect(second.NextToken).toBeUndefined();
  });
});
