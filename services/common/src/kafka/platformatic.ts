import type { KafkaConnection } from './settings.js';

type Mechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** Connection options for @platformatic/kafka's clients (`new Producer({...platformaticConnection(c, id), ...})`). */
export interface PlatformaticConnection {
  clientId: string;
  bootstrapBrokers: string[];
  tls?: { rejectUnauthorized: boolean; ca?: string };
  sasl?: { mechanism: Mechanism; username: string; password: string };
}

export function platformaticConnection(connection: KafkaConnection, clientId: string): PlatformaticConnection {
  const { sasl, tls } = connection;
  return {
    clientId: connection.clientId ?? clientId,
    bootstrapBrokers: connection.brokers,
    ...(tls && { tls }),
    ...(sasl && { sasl: { ...sasl, mechanism: sasl.mechanism.toUpperCase() as Mechanism } }),
  };
}
