import { takeConformance } from './openapi-conformance';

// Every response an HTTP test provoked must match the OpenAPI description; the test that provoked a mismatch fails.
afterEach(() => {
  const { violations } = takeConformance();
  if (violations.length > 0) {
    throw new Error(`responses that break the OpenAPI description (/api/v1/openapi.json):\n${violations.join('\n')}`);
  }
});
