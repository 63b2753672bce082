import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';

/**
 * Every message of a topic from its beginning, read by a fresh consumer
 * group, until `enough` holds or `timeoutMs` passes (then whatever arrived).
 */
export async function readTopic(
  brokers: readonly string[],
  topic: string,
  enough: (messages: KafkaMessage[]) => boolean,
  timeoutMs = 90_000,
): Promise<KafkaMessage[]> {
  const kafka = new Kafka({ clientId: 'configledger-test-reader', brokers: [...brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `cltest-${randomUUID()}` });
  const messages: KafkaMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  await consumer.connect();
  try {
    for (;;) {
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        break;
      } catch (error) {
        // A broker just restarted may not lead the topic's partitions yet ("This server does not
        // host this topic-partition"): kafkajs marks that retriable, and it passes within seconds.
        if (!(error as { retriable?: boolean }).retriable || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
    while (!enough(messages) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    await consumer.disconnect();
  }
  return messages;
}
