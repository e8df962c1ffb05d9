import { startDevSessionsTestBackend } from '@dev-sessions/integration-tests';
import * as fs from 'node:fs';
import request from 'supertest';
import { devSessionsPlugin } from './plugin';

const withCluster = Boolean(
  process.env.KUBECONFIG && fs.existsSync(process.env.KUBECONFIG),
);

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
      // with the cluster of KUBECONFIG, status comes from the watch cache (synced or still
      // syncing); without a cluster, from nowhere but the cluster calls that answer 503
      statusSource: expect.stringMatching(
        withCluster ? /^cache(-syncing)?$/ : /^cluster$/,
      ),
    });
  });
});
