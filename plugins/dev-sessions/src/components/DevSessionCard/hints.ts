/** A short human hint for a container's waiting or terminated reason. */
export function reasonHint(reason?: string): string | undefined {
  switch (reason) {
    case 'CrashLoopBackOff':
      return 'The container keeps crashing and is restarted with back-off; check its logs.';
    case 'ImagePullBackOff':
    case 'ErrImagePull':
    case 'InvalidImageName':
      return 'The image cannot be pulled; check the image name, tag and registry credentials.';
    case 'OOMKilled':
      return 'It was killed for using more memory than its limit; choose a larger size.';
    case 'CreateContainerConfigError':
      return 'A Secret or ConfigMap it references is missing.';
    case 'ContainerCreating':
    case 'PodInitializing':
      return 'The container is starting.';
    case 'Error':
      return 'The container exited with an error; check its logs.';
    default:
      return undefined;
  }
}

/** Only http(s) URLs are ever rendered as links. */
export function safeHttpUrl(url?: string): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:'
      ? u.toString()
      : undefined;
  } catch {
    return undefined;
  }
}

/** "5 s ago", "3 min ago" … */
export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** What a Kubernetes warning event on a session most likely means, and what to do. */
export function eventHint(reason?: string): string | undefined {
  switch (reason) {
    case 'FailedScheduling':
      return 'No node has room for the session (CPU, memory or storage). Choose a smaller size, stop a session you do not use, or ask the platform team for capacity.';
    case 'NodeNotReady':
      return 'The node running the session is not answering; the session comes back when the node does, or is moved to another node.';
    case 'BackOff':
      return 'A container keeps exiting and Kubernetes waits longer between restarts; open its logs (the previous container has the crash).';
    case 'Unhealthy':
      return 'A readiness or liveness check fails: the app inside does not answer on its port yet, or has hung.';
    case 'Failed':
    case 'ErrImagePull':
    case 'ImagePullBackOff':
      return 'An image could not be pulled or a container could not start; check the image name, tag and registry access.';
    case 'FailedMount':
    case 'FailedAttachVolume':
      return 'The workspace volume could not be attached; it usually resolves itself, otherwise ask the platform team.';
    case 'Evicted':
      return 'The node ran short of resources and evicted the pod; it is recreated on a node with room.';
    case 'OOMKilling':
      return 'A container used more memory than its limit; choose a larger size.';
    case 'FailedCreate':
      return 'The pod could not be created, often because of the namespace quota; ask the platform team.';
    default:
      return undefined;
  }
}
