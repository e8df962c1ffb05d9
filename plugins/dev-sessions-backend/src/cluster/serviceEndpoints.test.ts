import * as k8s from '@kubernetes/client-node';
import { readyUpstreams } from './serviceEndpoints';

function service(ports: k8s.V1ServicePort[]): k8s.V1Service {
  return { metadata: { name: 'dev-session-vscode' }, spec: { ports } };
}

function slice(
  ports: k8s.DiscoveryV1EndpointPort[],
  endpoints: k8s.V1Endpoint[],
  addressType = 'IPv4',
): k8s.V1EndpointSlice {
  return {
    addressType,
    metadata: {
      name: 'dev-session-vscode-abcde',
      labels: { 'kubernetes.io/service-name': 'dev-session-vscode' },
    },
    ports,
    endpoints,
  };
}

const ready = (...addresses: string[]): k8s.V1Endpoint => ({
  addresses,
  conditions: { ready: true },
});

describe('readyUpstreams', () => {
  it('lists the ready addresses with the target port of the named Service port', () => {
    const svc = service([
      { name: 'metrics', port: 9090, targetPort: 'metrics' },
      { name: 'http', port: 8080, targetPort: 'http' },
    ]);
    const slices = [
      slice(
        [
          { name: 'metrics', port: 19090, protocol: 'TCP' },
          { name: 'http', port: 13337, protocol: 'TCP' },
        ],
        [
          ready('10.0.0.1'),
          { addresses: ['10.0.0.2'], conditions: { ready: false } },
          ready('10.0.0.3'),
        ],
      ),
    ];
    expect(readyUpstreams(svc, 8080, slices)).toEqual([
      { host: '10.0.0.1', port: 13337 },
      { host: '10.0.0.3', port: 13337 },
    ]);
    expect(readyUpstreams(svc, 9090, slices)).toEqual([
      { host: '10.0.0.1', port: 19090 },
      { host: '10.0.0.3', port: 19090 },
    ]);
  });

  it('takes an endpoint without a ready condition as ready (as Kubernetes says to)', () => {
    const svc = service([{ name: 'http', port: 80 }]);
    const slices = [
      slice(
        [{ name: 'http', port: 3000 }],
        [
          { addresses: ['10.0.0.1'] },
          { addresses: ['10.0.0.2'], conditions: {} },
        ],
      ),
    ];
    expect(readyUpstreams(svc, 80, slices)).toEqual([
      { host: '10.0.0.1', port: 3000 },
      { host: '10.0.0.2', port: 3000 },
    ]);
  });

  it('matches an unnamed Service port with the unnamed slice port ("" or absent)', () => {
    const svc = service([{ port: 3000 }]);
    expect(
      readyUpstreams(svc, 3000, [
        slice([{ name: '', port: 3001 }], [ready('10.0.0.1')]),
        slice([{ port: 3002 }], [ready('10.0.0.2')]),
        slice([{ name: 'other', port: 3003 }], [ready('10.0.0.3')]),
      ]),
    ).toEqual([
      { host: '10.0.0.1', port: 3001 },
      { host: '10.0.0.2', port: 3002 },
    ]);
  });

  it('finds nothing for a port the Service does not have', () => {
    const svc = service([{ name: 'http', port: 8080 }]);
    const slices = [slice([{ name: 'http', port: 8080 }], [ready('10.0.0.1')])];
    expect(readyUpstreams(svc, 8080, slices)).toHaveLength(1);
    expect(readyUpstreams(svc, 8081, slices)).toEqual([]);
    expect(readyUpstreams(service([]), 8080, slices)).toEqual([]);
    expect(readyUpstreams({}, 8080, slices)).toEqual([]);
  });

  it('finds nothing when the slices lack the port name, or give no port number', () => {
    const svc = service([{ name: 'http', port: 8080 }]);
    expect(
      readyUpstreams(svc, 8080, [
        slice([{ name: 'https', port: 8443 }], [ready('10.0.0.1')]),
        slice([{ name: 'http' }], [ready('10.0.0.2')]),
        slice([], [ready('10.0.0.3')]),
        { addressType: 'IPv4', endpoints: [ready('10.0.0.4')] },
      ]),
    ).toEqual([]);
  });

  it('skips FQDN slices, keeps IPv6 ones', () => {
    const svc = service([{ name: 'http', port: 8080 }]);
    expect(
      readyUpstreams(svc, 8080, [
        slice(
          [{ name: 'http', port: 80 }],
          [ready('evil.example.com')],
          'FQDN',
        ),
        slice([{ name: 'http', port: 8080 }], [ready('fd00::1')], 'IPv6'),
      ]),
    ).toEqual([{ host: 'fd00::1', port: 8080 }]);
  });

  it('collects every ready address of every slice', () => {
    const svc = service([{ name: 'http', port: 8080 }]);
    expect(
      readyUpstreams(svc, 8080, [
        slice([{ name: 'http', port: 8080 }], [ready('10.0.0.1', '10.0.0.2')]),
        slice([{ name: 'http', port: 8080 }], []),
        {
          addressType: 'IPv4',
          ports: [{ name: 'http', port: 8080 }],
        } as k8s.V1EndpointSlice,
        slice([{ name: 'http', port: 8081 }], [ready('10.0.1.1')]),
      ]),
    ).toEqual([
      { host: '10.0.0.1', port: 8080 },
      { host: '10.0.0.2', port: 8080 },
      { host: '10.0.1.1', port: 8081 },
    ]);
  });

  it('finds nothing without slices', () => {
    expect(
      readyUpstreams(service([{ name: 'http', port: 8080 }]), 8080, []),
    ).toEqual([]);
  });
});
