import * as k8s from '@kubernetes/client-node';

/** A server the gateway may connect to. */
export interface Upstream {
  host: string;
  port: number;
}

/**
 * The ready endpoints of a Service port, from its EndpointSlices (what kube-proxy would route
 * to): the slice port with the Service port's name, each ready address. Dialled directly, so the
 * gateway needs neither cluster DNS nor kube-proxy, only a route to the pod network.
 */
export function readyUpstreams(
  service: k8s.V1Service,
  port: number,
  slices: k8s.V1EndpointSlice[],
): Upstream[] {
  const servicePort = service.spec?.ports?.find(p => p.port === port);
  if (!servicePort) return [];
  const out: Upstream[] = [];
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    const slicePort = (slice.ports ?? []).find(
      p => (p.name ?? '') === (servicePort.name ?? ''),
    );
    if (typeof slicePort?.port !== 'number') continue;
    for (const ep of slice.endpoints ?? []) {
      if (ep.conditions?.ready === false) continue;
      for (const host of ep.addresses ?? [])
        out.push({ host, port: slicePort.port });
    }
  }
  return out;
}
