import type { RunningBroker } from '../support/kafka-broker';

export default async function stopKafkaForIntegrationSuites(): Promise<void> {
  await (globalThis as { kafkaBroker?: RunningBroker }).kafkaBroker?.stop();
}
