import * as k8s from '@kubernetes/client-node';
import * as http from 'node:http';
import * as https from 'node:https';

/** What a metadata-only list answers: each object's metadata, nothing else. */
export interface MetadataList {
  items: Array<{ metadata: k8s.V1ObjectMeta }>;
}

/** An error status the API server answered a metadata list with. */
export class MetadataListError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/**
 * Lists objects' metadata only (`as=PartialObjectMetadataList`), over kept-alive connections.
 * For reads repeated per session (the reconcile reads every session's Helm release labels):
 * client-node makes a new HTTPS agent, so a new TLS handshake, for every call, and returns whole
 * objects (a Helm release Secret is tens of KiB). Credentials are applied to every request as
 * client-node applies them (tokens that rotate are read again); the agent is made once per
 * TLS material.
 */
export class MetadataLister {
  private agent: { key: string; agent: http.Agent } | undefined;

  constructor(private readonly kc: k8s.KubeConfig) {}

  async list(path: string, labelSelector: string): Promise<MetadataList> {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error('No current cluster in the kubeconfig');
    const url = new URL(cluster.server + path);
    url.searchParams.set('labelSelector', labelSelector);
    const opts: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(opts);
    const agent = cluster.proxyUrl ? opts.agent : this.reusable(url, opts);
    const body = await new Promise<string>((resolve, reject) => {
      const req = (url.protocol === 'https:' ? https : http).request(
        url,
        {
          method: 'GET',
          agent,
          headers: {
            ...(opts.headers as Record<string, string>),
            ...(opts.auth
              ? {
                  authorization: `Basic ${Buffer.from(opts.auth).toString(
                    'base64',
                  )}`,
                }
              : {}),
            accept:
              'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json',
          },
          timeout: 30_000,
        },
        res => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', d => (data += d));
          res.on('end', () =>
            res.statusCode === 200
              ? resolve(data)
              : reject(
                  new MetadataListError(
                    res.statusCode ?? 0,
                    `GET ${url.pathname}: ${res.statusCode} ${data.slice(
                      0,
                      300,
                    )}`,
                  ),
                ),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
      req.end();
    });
    // an empty list comes as `"items": null` (Go's nil slice)
    const list = JSON.parse(body) as Partial<MetadataList> | null;
    return { items: list?.items ?? [] };
  }

  /** One keep-alive agent for the TLS material client-node put into `opts`. */
  private reusable(url: URL, opts: https.RequestOptions): http.Agent {
    if (url.protocol !== 'https:') return http.globalAgent;
    const key = JSON.stringify([
      opts.ca,
      opts.cert,
      opts.key,
      opts.rejectUnauthorized,
      opts.servername,
    ]);
    if (this.agent?.key !== key) {
      this.agent?.agent.destroy();
      this.agent = {
        key,
        agent: new https.Agent({
          keepAlive: true,
          maxSockets: 32,
          ca: opts.ca,
          cert: opts.cert,
          key: opts.key,
          rejectUnauthorized: opts.rejectUnauthorized,
          servername: opts.servername,
        }),
      };
    }
    return this.agent.agent;
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent?.agent.destroy();
    this.agent = undefined;
  }
}
