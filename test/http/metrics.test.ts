import { createTestService, type TestService } from '../support/test-service';

/** GET /metrics (issue #15, part 4): Prometheus text, requests by route, appends, commits, cache, lags. */
describe('metrics', () => {
  let service: TestService;
  afterEach(() => service.stop());

  /** The value of one series, e.g. `configledger_projection_lag_events` or `…_count{method="PUT",…}`. */
  const value = (text: string, series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  it('counts requests by route pattern, appends, group commits and cache look-ups, and reports the lags', async () => {
    service = await createTestService();
    for (const id of ['a', 'b', 'c'])
      await service.request().put(`/api/v1/cis/${id}`).send({ type: 'server', name: id }).expect(201);
    await service.request().put('/api/v1/cis/a').send({ type: 'server', name: 'a2' }).expect(200);
    await service.request().get('/api/v1/cis/a').expect(200);
    await service.request().get('/api/v1/nowhere').expect(404);
    await service.request().get('/api/v1/cis?minPosition=4').expect(200); // the views have caught up

    const res = await service.request().get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.text;
    expect(
      value(
        text,
        'configledger_http_request_duration_seconds_count{method="PUT",route="/api/v1/cis/:id",status="201"}',
      ),
    ).toBe(3);
    expect(
      value(
        text,
        'configledger_http_request_duration_seconds_count{method="PUT",route="/api/v1/cis/:id",status="200"}',
      ),
    ).toBe(1);
    expect(
      value(text, 'configledger_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}'),
    ).toBe(1);
    expect(value(text, 'configledger_append_duration_seconds_count')).toBe(4);
    expect(value(text, 'configledger_group_commit_events_sum')).toBe(4);
    // The second write to `a` found its folded state in the cache; the three registrations had none.
    expect(value(text, 'configledger_state_cache_lookups_total{result="hit"}')).toBe(1);
    expect(text).toContain('# TYPE configledger_state_load_events histogram'); // no CI was loaded: none observed
    expect(value(text, 'configledger_projection_lag_events')).toBe(0);
    expect(value(text, 'configledger_projection_lag_seconds')).toBe(0);
    expect(value(text, 'configledger_change_stream_clients')).toBe(0);
    expect(text).toContain('configledger_process_resident_memory_bytes');
  });

  it('is protected like the API when authentication is on', async () => {
    service = await createTestService({ auth: { authenticators: [] } });
    const res = await service.request().get('/metrics').expect(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });
});
