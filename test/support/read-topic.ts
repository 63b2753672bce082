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
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
    const deadline = Date.now() + timeoutMs;
    while (!enough(messages) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    await consumer.disconnect();
  }
  return messages;
}
