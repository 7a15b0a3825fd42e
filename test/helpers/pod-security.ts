// The Pod Security Standards checks, as the admission controller states them
// (kubernetes/pod-security-admission, policy/check_*.go, latest version of each check), for pod specs
// in plain JSON. Each check returns the controller's ForbiddenReason when it forbids the pod. The
// "restricted" level runs every "baseline" check too, as the controller does. Windows-only relaxations
// and the user-namespace relaxation (hostUsers: false) are implemented where the checks have them.

type Obj = Record<string, any>;

export interface Violation {
  check: string;
  reason: string;
  detail: string;
}

const containersOf = (spec: Obj): Obj[] => [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
const userNamespaced = (spec: Obj) => spec.hostUsers === false;

/** check_capabilities_baseline: capabilities_allowed_1_0 */
export const BASELINE_CAPABILITIES = ['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'];
/** check_sysctls: the latest allowed set */
const SAFE_SYSCTLS = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
  'net.ipv4.tcp_slow_start_after_idle',
  'net.ipv4.tcp_notsent_lowat',
];
/** check_seLinuxOptions: selinuxAllowedTypes1_31 */
const SELINUX_TYPES = ['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'];
/** check_restrictedVolumes: the volume sources "restricted" forbids */
const RESTRICTED_VOLUME_SOURCES = [
  'hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'nfs', 'iscsi', 'glusterfs', 'rbd', 'flexVolume', 'cinder', 'cephfs',
  'flocker', 'fc', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'portworxVolume', 'photonPersistentDisk', 'scaleIO', 'storageos',
];

type Check = (meta: Obj, spec: Obj) => Violation | null;
const bad = (check: string, reason: string, detail: string): Violation => ({ check, reason, detail });

export const BASELINE_CHECKS: Record<string, Check> = {
  windowsHostProcess: (_m, s) =>
    s.securityContext?.windowsOptions?.hostProcess === true || containersOf(s).some((c) => c.securityContext?.windowsOptions?.hostProcess === true)
      ? bad('windowsHostProcess', 'hostProcess', 'pod or containers must not set securityContext.windowsOptions.hostProcess=true')
      : null,
  hostNamespaces: (_m, s) => {
    const set = ['hostNetwork', 'hostPID', 'hostIPC'].filter((k) => s[k] === true);
    return set.length ? bad('hostNamespaces', 'host namespaces', `${set.join(', ')}=true`) : null;
  },
  privileged: (_m, s) => {
    const names = containersOf(s).filter((c) => c.securityContext?.privileged === true).map((c) => c.name);
    return names.length ? bad('privileged', 'privileged', `containers ${names.join(', ')} must not set securityContext.privileged=true`) : null;
  },
  capabilities_baseline: (_m, s) => {
    const extra = containersOf(s).flatMap((c) => (c.securityContext?.capabilities?.add ?? []).filter((x: string) => !BASELINE_CAPABILITIES.includes(x)));
    return extra.length ? bad('capabilities_baseline', 'non-default capabilities', `containers must not include ${extra.join(', ')} in securityContext.capabilities.add`) : null;
  },
  hostPathVolumes: (_m, s) => {
    const v = (s.volumes ?? []).filter((x: Obj) => x.hostPath).map((x: Obj) => x.name);
    return v.length ? bad('hostPathVolumes', 'hostPath volumes', `volumes ${v.join(', ')}`) : null;
  },
  hostPorts: (_m, s) => {
    const p = containersOf(s).flatMap((c) => (c.ports ?? []).filter((x: Obj) => x.hostPort && x.hostPort !== 0).map((x: Obj) => x.hostPort));
    return p.length ? bad('hostPorts', 'hostPort', `hostPort ${p.join(', ')}`) : null;
  },
  appArmorProfile: (m, s) => {
    const okType = (t: unknown) => t === undefined || t === 'RuntimeDefault' || t === 'Localhost';
    const annotations = Object.entries<string>(m.annotations ?? {}).filter(([k]) => k.startsWith('container.apparmor.security.beta.kubernetes.io/'));
    const badAnn = annotations.filter(([, v]) => !(v === '' || v === 'runtime/default' || v.startsWith('localhost/')));
    const badType = !okType(s.securityContext?.appArmorProfile?.type) || containersOf(s).some((c) => !okType(c.securityContext?.appArmorProfile?.type));
    return badAnn.length || badType ? bad('appArmorProfile', 'forbidden AppArmor profile', 'appArmorProfile must be RuntimeDefault or Localhost') : null;
  },
  seLinuxOptions: (_m, s) => {
    const opts = [s.securityContext?.seLinuxOptions, ...containersOf(s).map((c) => c.securityContext?.seLinuxOptions)].filter(Boolean);
    const wrong = opts.some((o: Obj) => !SELINUX_TYPES.includes(o.type ?? '') || (o.user ?? '') !== '' || (o.role ?? '') !== '');
    return wrong ? bad('seLinuxOptions', 'seLinuxOptions', 'forbidden seLinuxOptions type, user or role') : null;
  },
  procMount: (_m, s) =>
    !userNamespaced(s) && containersOf(s).some((c) => c.securityContext?.procMount !== undefined && c.securityContext.procMount !== 'Default')
      ? bad('procMount', 'procMount', 'containers must not set securityContext.procMount to a non-default value')
      : null,
  seccompProfile_baseline: (_m, s) =>
    s.securityContext?.seccompProfile?.type === 'Unconfined' || containersOf(s).some((c) => c.securityContext?.seccompProfile?.type === 'Unconfined')
      ? bad('seccompProfile_baseline', 'seccompProfile', 'must not set securityContext.seccompProfile.type to "Unconfined"')
      : null,
  sysctls: (_m, s) => {
    const wrong = (s.securityContext?.sysctls ?? []).map((x: Obj) => x.name).filter((n: string) => !SAFE_SYSCTLS.includes(n));
    return wrong.length ? bad('sysctls', 'forbidden sysctls', wrong.join(', ')) : null;
  },
  hostProbesAndHostLifecycle: (_m, s) => {
    const hosts = containersOf(s).flatMap((c) =>
      [c.livenessProbe, c.readinessProbe, c.startupProbe, c.lifecycle?.postStart, c.lifecycle?.preStop].flatMap((h: Obj | undefined) => [h?.httpGet?.host, h?.tcpSocket?.host]).filter((x) => x),
    );
    return hosts.length ? bad('hostProbesAndHostLifecycle', 'probe or lifecycle host', `host ${hosts.join(', ')}`) : null;
  },
};

export const RESTRICTED_CHECKS: Record<string, Check> = {
  restrictedVolumes: (_m, s) => {
    const types = (s.volumes ?? []).flatMap((v: Obj) => RESTRICTED_VOLUME_SOURCES.filter((k) => v[k] !== undefined));
    return types.length ? bad('restrictedVolumes', 'restricted volume types', `volumes use ${types.join(', ')}`) : null;
  },
  allowPrivilegeEscalation: (_m, s) => {
    if (s.os?.name === 'windows') return null;
    const names = containersOf(s).filter((c) => c.securityContext?.allowPrivilegeEscalation !== false).map((c) => c.name);
    return names.length ? bad('allowPrivilegeEscalation', 'allowPrivilegeEscalation != false', `containers ${names.join(', ')} must set securityContext.allowPrivilegeEscalation=false`) : null;
  },
  runAsNonRoot: (_m, s) => {
    if (userNamespaced(s)) return null;
    const pod = s.securityContext?.runAsNonRoot;
    if (pod === false) return bad('runAsNonRoot', 'runAsNonRoot != true', 'pod must not set securityContext.runAsNonRoot=false');
    const explicit = containersOf(s).filter((c) => c.securityContext?.runAsNonRoot === false).map((c) => c.name);
    if (explicit.length) return bad('runAsNonRoot', 'runAsNonRoot != true', `containers ${explicit.join(', ')} must not set securityContext.runAsNonRoot=false`);
    const implicit = containersOf(s).filter((c) => c.securityContext?.runAsNonRoot === undefined && pod !== true).map((c) => c.name);
    return implicit.length ? bad('runAsNonRoot', 'runAsNonRoot != true', `pod or containers ${implicit.join(', ')} must set securityContext.runAsNonRoot=true`) : null;
  },
  runAsUser: (_m, s) => {
    if (userNamespaced(s)) return null;
    const zero = s.securityContext?.runAsUser === 0 || containersOf(s).some((c) => c.securityContext?.runAsUser === 0);
    return zero ? bad('runAsUser', 'runAsUser=0', 'pod and containers must not set runAsUser=0') : null;
  },
  seccompProfile_restricted: (_m, s) => {
    if (s.os?.name === 'windows') return null;
    const ok = (t: unknown) => t === 'RuntimeDefault' || t === 'Localhost';
    const podType = s.securityContext?.seccompProfile?.type;
    if (podType !== undefined && !ok(podType)) return bad('seccompProfile_restricted', 'seccompProfile', `pod must not set securityContext.seccompProfile.type to "${podType}"`);
    const explicitBad = containersOf(s).filter((c) => c.securityContext?.seccompProfile?.type !== undefined && !ok(c.securityContext.seccompProfile.type)).map((c) => c.name);
    if (explicitBad.length) return bad('seccompProfile_restricted', 'seccompProfile', `containers ${explicitBad.join(', ')} must not set securityContext.seccompProfile.type to other values`);
    const unset = containersOf(s).filter((c) => c.securityContext?.seccompProfile?.type === undefined && podType === undefined).map((c) => c.name);
    return unset.length ? bad('seccompProfile_restricted', 'seccompProfile', `pod or containers ${unset.join(', ')} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`) : null;
  },
  capabilities_restricted: (_m, s) => {
    if (s.os?.name === 'windows') return null;
    const notDropped = containersOf(s).filter((c) => !(c.securityContext?.capabilities?.drop ?? []).includes('ALL')).map((c) => c.name);
    const added = containersOf(s).flatMap((c) => (c.securityContext?.capabilities?.add ?? []).filter((x: string) => x !== 'NET_BIND_SERVICE'));
    if (!notDropped.length && !added.length) return null;
    const parts = [
      ...(notDropped.length ? [`containers ${notDropped.join(', ')} must set securityContext.capabilities.drop=["ALL"]`] : []),
      ...(added.length ? [`containers must not include ${added.join(', ')} in securityContext.capabilities.add`] : []),
    ];
    return bad('capabilities_restricted', 'unrestricted capabilities', parts.join('; '));
  },
};

/** The pod template of a workload object (Pod, Deployment, StatefulSet, DaemonSet, Job, CronJob). */
export function podOf(o: Obj): { metadata: Obj; spec: Obj } | null {
  switch (o.kind) {
    case 'Pod':
      return { metadata: o.metadata ?? {}, spec: o.spec ?? {} };
    case 'CronJob':
      return { metadata: o.spec?.jobTemplate?.spec?.template?.metadata ?? {}, spec: o.spec?.jobTemplate?.spec?.template?.spec ?? {} };
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
      return { metadata: o.spec?.template?.metadata ?? {}, spec: o.spec?.template?.spec ?? {} };
    default:
      return null;
  }
}

/** Every violation of `level` by a pod (restricted includes baseline). */
export function podSecurityViolations(level: 'baseline' | 'restricted', pod: { metadata: Obj; spec: Obj }): Violation[] {
  const checks = { ...BASELINE_CHECKS, ...(level === 'restricted' ? RESTRICTED_CHECKS : {}) };
  return Object.values(checks)
    .map((c) => c(pod.metadata, pod.spec))
    .filter((v): v is Violation => v !== null);
}
