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
