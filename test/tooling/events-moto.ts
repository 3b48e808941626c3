/**
 * EventBridge and SQS on the suite's moto_server, through their JSON wire protocols (the project
 * has no SDK clients for them): enough to create a rule with a pattern and targets, put events, and
 * read what a queue received. moto matches rules on `PutEvents` (its `TestEventPattern` is not
 * implemented) and delivers to SQS queues and to event buses in other regions, so a test sees
 * which events EventBridge's matching lets through, not what a hand-written matcher thinks.
 */

/** One EventBridge event as it arrives at a target. */
export interface DeliveredEvent {
  readonly 'source': string;
  readonly 'detail-type': string;
  readonly 'region': string;
  readonly 'account': string;
  readonly 'detail': Record<string, unknown>;
}

/** A client of moto's EventBridge and SQS in one region. */
export class MotoEvents {
  constructor(
    private readonly endpoint: string,
    readonly region: string,
  ) {}

  /** A queue `name` (created if needed) and its ARN. */
  async createQueue(name: string): Promise<{ url: string; arn: string }> {
    const { QueueUrl } = (await this.call('sqs', 'CreateQueue', { QueueName: name })) as { QueueUrl: string };
    const { Attributes } = (await this.call('sqs', 'GetQueueAttributes', {
      QueueUrl,
      AttributeNames: ['QueueArn'],
    })) as { Attributes: { QueueArn: string } };
    return { url: QueueUrl, arn: Attributes.QueueArn };
  }

  /** A rule on `eventBusName` (the default bus unless given) with `pattern` (an object) and one target per ARN. */
  async putRule(name: string, pattern: unknown, targetArns: string[], eventBusName?: string): Promise<void> {
    const bus = eventBusName === undefined ? {} : { EventBusName: eventBusName };
    await this.call('events', 'PutRule', {
      Name: name,
      EventPattern: JSON.stringify(pattern),
      State: 'ENABLED',
      ...bus,
    });
    await this.call('events', 'PutTargets', {
      Rule: name,
      Targets: targetArns.map((arn, i) => ({ Id: `target-${i}`, Arn: arn })),
      ...bus,
    });
  }

  /** Puts one event on the default bus; fails when EventBridge rejects it. */
  async putEvent(source: string, detailType: string, detail: unknown): Promise<void> {
    const response = (await this.call('events', 'PutEvents', {
      Entries: [{ Source: source, DetailType: detailType, Detail: JSON.stringify(detail), Resources: [] }],
    })) as { FailedEntryCount: number; Entries: unknown[] };
    if (response.FailedEntryCount !== 0) throw new Error(`PutEvents failed: ${JSON.stringify(response.Entries)}`);
  }

  /** Every message the queue holds now (deleted as read), parsed as events. */
  async drain(queueUrl: string): Promise<DeliveredEvent[]> {
    const received: DeliveredEvent[] = [];
    for (;;) {
      const { Messages } = (await this.call('sqs', 'ReceiveMessage', {
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
      })) as { Messages?: { Body: string; ReceiptHandle: string }[] };
      if (!Messages || Messages.length === 0) return received;
      for (const message of Messages) {
        received.push(JSON.parse(message.Body) as DeliveredEvent);
        await this.call('sqs', 'DeleteMessage', { QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle });
      }
    }
  }

  private async call(service: 'events' | 'sqs', action: string, body: unknown): Promise<unknown> {
    const [target, contentType] =
      service === 'events'
        ? [`AWSEvents.${action}`, 'application/x-amz-json-1.1']
        : [`AmazonSQS.${action}`, 'application/x-amz-json-1.0'];
    const response = await fetch(this.endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': contentType,
        'X-Amz-Target': target,
        // moto reads the region (and service) from the credential scope; it checks no signature.
        'Authorization': `AWS4-HMAC-SHA256 Credential=testing/20260101/${this.region}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${service}.${action} answered ${response.status}: ${text}`);
    return text ? JSON.parse(text) : {};
  }
}
