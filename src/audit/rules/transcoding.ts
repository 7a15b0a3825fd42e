import type { DeviceNode } from '../../host.js';
import { deviceAccess, deviceGidAdvice } from '../../validate.js';
import { deviceSources } from '../compose.js';
import type { AuditContext, RawFinding, Rule } from '../types.js';
import { at, envAt, option } from './util.js';

type Need = 'dri' | 'video11' | 'nvidia' | 'none' | 'unknown';

/** PhotoPrism's encoder names and aliases -> the device it needs. */
export function encoderNeed(value: string): Need {
  const v = value.trim().toLowerCase();
  if (['', 'software', 'libx264', 'cpu', 'apple', 'h264_videotoolbox', 'videotoolbox'].includes(v)) return 'none';
  if (['intel', 'qsv', 'h264_qsv', 'vaapi', 'h264_vaapi'].includes(v)) return 'dri';
  if (['nvidia', 'nvenc', 'h264_nvenc', 'cuda'].includes(v)) return 'nvidia';
  if (['raspberry', 'raspi', 'v4l2', 'h264_v4l2m2m', 'video4linux'].includes(v)) return 'video11';
  return 'unknown';
}

/** The encoder PhotoPrism uses (options.yml wins over PHOTOPRISM_FFMPEG_ENCODER) and where it is set. */
export function encoder(ctx: AuditContext): { value: string; where: { file: string; line?: number; service: string } } | null {
  const svc = ctx.photoprism;
  if (!svc) return null;
  const opt = option(ctx, 'FFmpegEncoder');
  if (typeof opt?.value === 'string' && opt.value) return { value: opt.value, where: { file: ctx.options!.rel, line: opt.line, service: svc.name } };
  const e = svc.envMap.get('PHOTOPRISM_FFMPEG_ENCODER');
  if (e?.value) return { value: e.value, where: envAt(e, svc) };
  return null;
}

function passes(ctx: AuditContext, prefix: string): boolean {
  return deviceSources(ctx.photoprism?.data.devices).some((d) => d.source === prefix || d.source.startsWith(`${prefix}/`));
}

function nvidiaReserved(data: Record<string, unknown>): boolean {
  if (data.runtime === 'nvidia' || data.gpus !== undefined) return true;
  const devs = ((data.deploy as Record<string, unknown> | undefined)?.resources as Record<string, unknown> | undefined)?.reservations as
    | Record<string, unknown>
    | undefined;
  const list = Array.isArray(devs?.devices) ? (devs!.devices as Record<string, unknown>[]) : [];
  return list.some((d) => d && (d.driver === 'nvidia' || (Array.isArray(d.capabilities) && d.capabilities.includes('gpu'))));
}

/** Hardware encoder set without the device it needs (in compose or on this host). */
export const transcodingDeviceMissing: Rule = {
  id: 'transcoding-device-missing',
  severity: 'warning',
  title: 'A hardware encoder is set, but the device it needs is not passed to the container or missing on this host',
  why: 'hardware transcoding then fails and PhotoPrism falls back to slow software encoding (or the container does not start)',
  check(ctx) {
    const enc = encoder(ctx);
    const svc = ctx.photoprism;
    if (!enc || !svc) return [];
    const need = encoderNeed(enc.value);
    const out: RawFinding[] = [];
    const add = (message: string, fix: string) => out.push({ ...enc.where, message, fix });
    if (need === 'unknown') {
      add(`FFmpegEncoder "${enc.value}" is not an encoder PhotoPrism knows: it falls back to software`, 'use software, intel, vaapi, nvidia, raspberry or apple (init answer: --transcoding)');
    } else if (need === 'dri') {
      if (!passes(ctx, '/dev/dri')) add(`encoder "${enc.value}" needs /dev/dri, but ${at(ctx, svc).service} has no such device`, 'add to the photoprism service:\n    devices:\n      - "/dev/dri:/dev/dri"');
      if (ctx.facts.renderNodes.length === 0) add(`encoder "${enc.value}" needs a /dev/dri render node, and this host has none`, 'install the GPU driver on the host, or use FFmpegEncoder: "software" (init answer: --transcoding software)');
    } else if (need === 'video11') {
      if (!passes(ctx, '/dev/video11')) add(`encoder "${enc.value}" needs /dev/video11, but ${at(ctx, svc).service} has no such device`, 'add to the photoprism service:\n    devices:\n      - "/dev/video11:/dev/video11"');
      if (!ctx.facts.video11) add(`encoder "${enc.value}" needs /dev/video11 (Raspberry Pi encoder), and this host has none`, 'use FFmpegEncoder: "software" (init answer: --transcoding software)');
    } else if (need === 'nvidia') {
      if (!nvidiaReserved(svc.data)) {
        add(
          `encoder "${enc.value}" needs an NVIDIA GPU reservation, and service "${svc.name}" has none`,
          'add to the photoprism service:\n    deploy:\n      resources:\n        reservations:\n          devices:\n            - driver: "nvidia"\n              count: 1\n              capabilities: ["gpu"]',
        );
      }
      if (!ctx.facts.nvidia) add(`encoder "${enc.value}" needs the NVIDIA driver, and this host has no /dev/nvidiactl`, 'install the NVIDIA driver and the NVIDIA Container Toolkit, or use FFmpegEncoder: "software"');
    }
    return out;
  },
};

/** The device is passed, but PhotoPrism's UID/GID cannot open it. */
export const transcodingDeviceGroup: Rule = {
  id: 'transcoding-device-group',
  severity: 'warning',
  title: 'PhotoPrism\'s UID/GID cannot open the video device it is given',
  why: 'a device node keeps its host owner and group inside the container; without access, hardware transcoding silently falls back to software',
  check(ctx) {
    const enc = encoder(ctx);
    const svc = ctx.photoprism;
    const id = ctx.identity;
    if (!enc || !svc || !id || id.uid === null || id.uid === 0 || id.gid === null) return [];
    const need = encoderNeed(enc.value);
    let nodes: DeviceNode[] = [];
    if (need === 'dri' && passes(ctx, '/dev/dri')) nodes = ctx.facts.renderNodes;
    else if (need === 'video11' && passes(ctx, '/dev/video11') && ctx.facts.video11) nodes = [ctx.facts.video11];
    // with user:, Docker also applies group_add (PHOTOPRISM_UID's setpriv --init-groups drops it)
    const extra = id.mode === 'user' && Array.isArray(svc.data.group_add) ? (svc.data.group_add as unknown[]).map(Number).filter(Number.isInteger) : [];
    const out: RawFinding[] = [];
    for (const n of nodes) {
      const access = deviceAccess(n, id.uid, id.gid);
      if (access.canOpen || (extra.includes(n.gid) && (n.mode & 0o060) === 0o060)) continue;
      out.push({
        file: id.gidAt?.file ?? id.at.file,
        line: id.gidAt?.line ?? id.at.line,
        service: svc.name,
        message: `${id.uid}:${id.gid} cannot open ${n.path} (${access.via})`,
        fix: deviceGidAdvice(n),
      });
    }
    return out;
  },
};
