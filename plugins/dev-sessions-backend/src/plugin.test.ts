import { startDevSessionsTestBackend } from '@dev-sessions/integration-tests';
import request from 'supertest';
import { devSessionsPlugin } from './plugin';

describe('devSessionsPlugin', () => {
  it('starts inside a backend and serves its health endpoint', async () => {
    const { server } = await startDevSessionsTestBackend({
      features: [devSessionsPlugin],
    });
    const res = await request(server).get('/api/dev-sessions/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok',
      cluster: expect.any(String),
      // the cluster of KUBECONFIG: status from the watch cache (synced or still syncing)
      statusSource: expect.stringMatching(/^cache(-syncing)?$/),
    });
  });
});
