/**
 * Built-in scenarios. `xp-eventlog` is the seed scenario and the demo: services.exe mapping the three XP event logs.
 * The x64 presets host EventLog in an svchost.exe that maps only the header and current chunk of each .evtx, with
 * the rest held by the cache manager. `large` is a multi-GiB stress image.
 */
import { Rng } from './rng.js';
import type { FileSpec, ProcessSpec, ProfileId, Scenario, VadSpec } from './scenario.js';

const MiB = 1024 * 1024;

function at(base: string, minutes: number): string {
  return new Date(Date.parse(base) + minutes * 60_000).toISOString();
}

interface Os {
  sys32: string;
  boot: string;
}

function exe(os: Os, name: string): FileSpec {
  return {
    path: `${os.sys32}\\${name}`,
    content: { kind: 'pattern', size: 0x14000 + (name.length % 5) * 0x3000 },
    image: { mix: { R: 6, T: 2, P: 2 } },
  };
}

function stdProcess(
  os: Os,
  name: string,
  pid: number,
  ppid: number,
  minutes: number,
  extra: Partial<ProcessSpec> = {},
): ProcessSpec {
  const vads: VadSpec[] = [
    { kind: 'image', file: `${os.sys32}\\${name}` },
    { kind: 'image', file: `${os.sys32}\\ntdll.dll` },
    { kind: 'private', pages: 16, ptes: 'VVVVTTZZFFF--VVV' },
    { kind: 'private', pages: 4, ptes: 'ZZVV' },
    ...(extra.vads ?? []),
  ];
  return {
    name,
    pid,
    ppid,
    create: at(os.boot, minutes),
    commandLine: `${os.sys32}\\${name}`.replace(/^\\/, 'C:\\'),
    threads: 2,
    ...extra,
    vads,
    handles: {
      keys: [`\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion`],
      ...extra.handles,
    },
  };
}

function evt(shared: string, maxSize: number, source: string): FileSpec['content'] {
  return {
    kind: 'shared',
    path: `corpus/evt/${shared}`,
    fallback: { kind: 'evt', records: Math.floor(maxSize / 160), maxSize, computer: 'FORGE-XP', source },
  };
}

export function xpEventlog(seed = 1, profile: ProfileId = 'xp-sp2-x86'): Scenario {
  const os: Os = { sys32: '\\WINDOWS\\system32', boot: '2008-04-14T08:00:00.000Z' };
  const cfg = '\\WINDOWS\\system32\\config';
  const names = [
    'smss.exe',
    'csrss.exe',
    'winlogon.exe',
    'services.exe',
    'lsass.exe',
    'svchost.exe',
    'explorer.exe',
    'cmd.exe',
    'ntdll.dll',
  ];
  const files: FileSpec[] = [
    ...names.map((n) => exe(os, n)),
    {
      path: `${cfg}\\AppEvent.Evt`,
      content: evt('moex01__Application.evt', 0x10000, 'Application Popup'),
      data: { mix: { R: 8, T: 2 } },
    },
    {
      path: `${cfg}\\SecEvent.Evt`,
      content: evt('moex01__Security.evt', 0x10000, 'Security'),
      data: { mix: { R: 6, T: 2, P: 2 } },
      deleted: true,
    },
    {
      path: `${cfg}\\SysEvent.Evt`,
      content: evt('plaso__SysEvent.Evt', 0x80000, 'Service Control Manager'),
      data: { mix: { R: 7, T: 1, P: 2 } },
    },
    {
      path: '\\Documents and Settings\\forge\\My Documents\\report.txt',
      content: { kind: 'pattern', size: 0x31000 },
      data: { mix: { R: 5, T: 3, P: 2 } },
    },
    {
      path: '\\Documents and Settings\\forge\\Local Settings\\Temp\\notes.log',
      content: { kind: 'pattern', size: 0x50000 },
      cache: { views: [0, 1], pages: { mix: { R: 6, T: 2, P: 1, A: 1 } } },
    },
  ];
  const services = [`${cfg}\\AppEvent.Evt`, `${cfg}\\SecEvent.Evt`, `${cfg}\\SysEvent.Evt`];
  const processes: ProcessSpec[] = [
    {
      name: 'System',
      pid: 4,
      ppid: 0,
      create: os.boot,
      threads: 4,
      handles: { keys: ['\\REGISTRY\\MACHINE\\SYSTEM'] },
    },
    stdProcess(os, 'smss.exe', 368, 4, 1),
    stdProcess(os, 'csrss.exe', 584, 368, 2),
    stdProcess(os, 'winlogon.exe', 608, 368, 2),
    stdProcess(os, 'services.exe', 652, 608, 3, {
      commandLine: 'C:\\WINDOWS\\system32\\services.exe',
      vads: services.map((f) => ({ kind: 'mapped', file: f })),
      handles: { files: services, sections: services },
    }),
    stdProcess(os, 'lsass.exe', 664, 608, 3),
    stdProcess(os, 'svchost.exe', 820, 652, 4, {
      commandLine: 'C:\\WINDOWS\\system32\\svchost -k DcomLaunch',
    }),
    stdProcess(os, 'svchost.exe', 904, 652, 4, { commandLine: 'C:\\WINDOWS\\system32\\svchost -k rpcss' }),
    stdProcess(os, 'svchost.exe', 1016, 652, 5, {
      commandLine: 'C:\\WINDOWS\\System32\\svchost.exe -k netsvcs',
    }),
    stdProcess(os, 'explorer.exe', 1484, 1460, 7, {
      commandLine: 'C:\\WINDOWS\\Explorer.EXE',
      vads: [{ kind: 'mapped', file: '\\Documents and Settings\\forge\\My Documents\\report.txt' }],
      handles: {
        files: [
          '\\Documents and Settings\\forge\\My Documents\\report.txt',
          '\\Documents and Settings\\forge\\Local Settings\\Temp\\notes.log',
        ],
      },
    }),
    stdProcess(os, 'cmd.exe', 1720, 1484, 30, { exited: true, exit: at(os.boot, 42) }),
  ];
  return {
    name: 'xp-eventlog',
    profile,
    seed,
    physicalSize: 64 * MiB,
    systemTime: at(os.boot, 240),
    files,
    processes,
    noise: { randomPages: 64, staleObjects: 4 },
  };
}

function evtx(shared: string, chunks: number, channel: string): FileSpec['content'] {
  return {
    kind: 'shared',
    path: `corpus/evtx/${shared}`,
    fallback: { kind: 'evtx', chunks, computer: 'FORGE-PC', channel },
  };
}

/** x64 EventLog scenario shared by win7-eventlog and win10-eventlog. */
export function x64Eventlog(name: string, profile: ProfileId, seed: number): Scenario {
  const os: Os = {
    sys32: '\\Windows\\System32',
    boot: profile.startsWith('win7') ? '2020-01-14T08:00:00.000Z' : '2023-03-01T08:00:00.000Z',
  };
  const logs = '\\Windows\\System32\\winevt\\Logs';
  const evtxFiles: [string, string, number][] = [
    ['System.evtx', 'plaso__System.evtx', 4],
    ['Security.evtx', 'evtxrs__security.evtx', 6],
    ['Application.evtx', 'deepbluecli__many-events-application.evtx', 3],
    [
      'Microsoft-Windows-PowerShell%4Operational.evtx',
      'deepbluecli__Powershell-Invoke-Obfuscation-many.evtx',
      3,
    ],
  ];
  const names = [
    'smss.exe',
    'csrss.exe',
    'wininit.exe',
    'winlogon.exe',
    'services.exe',
    'lsass.exe',
    'svchost.exe',
    'explorer.exe',
    'notepad.exe',
    'ntdll.dll',
  ];
  const files: FileSpec[] = names.map((n) => exe(os, n));
  const elVads: VadSpec[] = [];
  const elFiles: string[] = [];
  for (const [fname, shared, chunks] of evtxFiles) {
    const path = `${logs}\\${fname}`;
    elFiles.push(path);
    // Whole file described by the data section (header + current chunk resident, the rest in the cache or gone);
    // the cache manager holds views 0 and 1; anything past 512 KiB is not in memory at all.
    files.push({
      path,
      content: evtx(shared, chunks, fname.replace('.evtx', '')),
      data: 'RPPPPPPPPPPPPPPPPRRRRRRRRRRRRRRRRPPPPPPPPPPPPPPPPPPPPP',
      cache: { views: [0, 1], pages: { mix: { R: 6, T: 2, P: 1, A: 1 } } },
      subsectionPages: 32,
    });
    elVads.push({ kind: 'mapped', file: path, offset: 0, pages: 1 });
    elVads.push({ kind: 'mapped', file: path, offset: 0x11000, pages: 16 });
  }
  files.push({
    path: `${logs}\\Setup.evtx`,
    content: evtx('evtxrs__2-vss_7-System.evtx', 2, 'Setup'),
    cache: { views: [0], pages: { mix: { R: 8, T: 1, A: 1 } } },
  });
  files.push({
    path: '\\Users\\forge\\Documents\\secret.txt',
    content: { kind: 'pattern', size: 0x9000 },
    data: 'RRTP',
    deleted: true,
  });
  const processes: ProcessSpec[] = [
    {
      name: 'System',
      pid: 4,
      ppid: 0,
      create: os.boot,
      threads: 4,
      handles: { keys: ['\\REGISTRY\\MACHINE\\SYSTEM'] },
    },
    stdProcess(os, 'smss.exe', 296, 4, 1),
    stdProcess(os, 'csrss.exe', 392, 384, 2),
    stdProcess(os, 'wininit.exe', 440, 384, 2),
    stdProcess(os, 'winlogon.exe', 480, 432, 2),
    stdProcess(os, 'services.exe', 540, 440, 3),
    stdProcess(os, 'lsass.exe', 556, 440, 3),
    stdProcess(os, 'svchost.exe', 660, 540, 4, {
      commandLine: 'C:\\Windows\\system32\\svchost.exe -k DcomLaunch',
    }),
    stdProcess(os, 'svchost.exe', 728, 540, 4, {
      commandLine: 'C:\\Windows\\system32\\svchost.exe -k RPCSS',
    }),
    stdProcess(os, 'svchost.exe', 1096, 540, 5, {
      commandLine: 'C:\\Windows\\System32\\svchost.exe -k LocalServiceNetworkRestricted -p -s EventLog',
      vads: elVads,
      handles: { files: [...elFiles, `${logs}\\Setup.evtx`], sections: elFiles.slice(0, 2) },
    }),
    stdProcess(os, 'explorer.exe', 2412, 2380, 8, {
      vads: [{ kind: 'mapped', file: '\\Users\\forge\\Documents\\secret.txt' }],
      handles: { files: ['\\Users\\forge\\Documents\\secret.txt'] },
    }),
    stdProcess(os, 'notepad.exe', 3104, 2412, 20, { exited: true, exit: at(os.boot, 25) }),
  ];
  return {
    name,
    profile,
    seed,
    physicalSize: (profile.startsWith('win10') ? 96 : 64) * MiB,
    systemTime: at(os.boot, 300),
    files,
    processes,
    noise: { randomPages: 64, staleObjects: 4 },
  };
}

/**
 * Reader edge cases on XP x86 or Windows 10 x64: a 72 MiB file held only by the cache manager (multi-level VACB
 * index tree, six views mapped, two of them across a leaf-array boundary); a data file with uneven subsections, a
 * fully paged-out subsection and paged-out first pages (later subsections' file offsets come from StartingSector
 * in 4 KiB units); an image whose .data section is larger in memory than on disk (later sections' StartingSector in
 * 512-byte units); a delete-pending mapped file and a delete-pending cache-only file.
 */
export function edgeCases(name: string, profile: ProfileId, seed: number): Scenario {
  const xp = profile.startsWith('xp');
  const os: Os = xp
    ? { sys32: '\\WINDOWS\\system32', boot: '2008-04-14T08:00:00.000Z' }
    : { sys32: '\\Windows\\System32', boot: '2023-03-01T08:00:00.000Z' };
  const tmp = xp
    ? '\\Documents and Settings\\forge\\Local Settings\\Temp'
    : '\\Users\\forge\\AppData\\Local\\Temp';
  const big = `${tmp}\\disk-image.vhd`;
  const multi = `${tmp}\\journal.dat`;
  const dropped = `${tmp}\\dropper.tmp`;
  const wiped = `${tmp}\\wiped.log`;
  const dll = `${tmp}\\implant.dll`;
  const files: FileSpec[] = [
    exe(os, 'explorer.exe'),
    exe(os, 'ntdll.dll'),
    {
      path: big,
      content: { kind: 'pattern', size: 72 * MiB + 0x1234 },
      // Views 127/128 straddle two leaf arrays; 288 is the last, partial view.
      cache: { views: [0, 3, 127, 128, 200, 288], pages: { mix: { R: 5, T: 2, P: 2, A: 1 } } },
    },
    {
      path: multi,
      content: { kind: 'pattern', size: 45 * 0x1000 + 0x0a3 },
      subsectionPages: [3, 8, 5, 20],
      data: `PRR${'P'.repeat(8)}RTRRPPRRRRRRRRRTTTTTPPPPPRTRTRTRTRT`,
    },
    {
      // Headers, .text, .data with two zero-filled pages past its raw data, .rsrc: the image is 10 pages, the file 8.
      path: dll,
      content: { kind: 'pattern', size: 0x8000 },
      imageSections: [
        { raw: 1, virtual: 1 },
        { raw: 4, virtual: 4 },
        { raw: 1, virtual: 3 },
        { raw: 2, virtual: 2 },
      ],
      image: 'RRPRTRRTRR',
    },
    { path: dropped, content: { kind: 'pattern', size: 0x5000 }, data: 'RTPR', deleted: true },
    {
      path: wiped,
      content: { kind: 'pattern', size: 0x48000 },
      cache: { views: [1], pages: 'RRTP' },
      deleted: true,
    },
  ];
  const processes: ProcessSpec[] = [
    { name: 'System', pid: 4, ppid: 0, create: os.boot, threads: 2 },
    stdProcess(os, 'explorer.exe', 1484, 1460, 7, {
      vads: [
        { kind: 'mapped', file: multi, offset: 0, pages: 3 },
        { kind: 'mapped', file: multi, offset: 0x10000, pages: 20 },
        { kind: 'mapped', file: dropped },
        { kind: 'image', file: dll },
      ],
      handles: { files: [big, multi, dropped, wiped, dll] },
    }),
  ];
  return {
    name,
    profile,
    seed,
    physicalSize: (xp ? 64 : 96) * MiB,
    systemTime: at(os.boot, 120),
    files,
    processes,
    noise: { randomPages: 16, staleObjects: 2 },
  };
}

/** Multi-GiB stress scenario: ≥ 100 processes, ≥ 20 000 VADs, ≥ 5 000 file objects, noise. */
export function large(seed = 7, physicalSize = 3 * 1024 * MiB, scale = 1): Scenario {
  const rng = new Rng(seed);
  const os: Os = { sys32: '\\Windows\\System32', boot: '2023-03-01T08:00:00.000Z' };
  const files: FileSpec[] = [exe(os, 'ntdll.dll'), exe(os, 'svchost.exe')];
  const nFiles = Math.round(5200 * scale);
  for (let i = 0; i < nFiles; i++) {
    const size = 0x1000 * (1 + rng.int(24));
    const f: FileSpec = {
      path: `\\Users\\forge\\data\\dir${i % 97}\\file${i}.bin`,
      content: { kind: 'pattern', size },
    };
    if (i % 3 !== 2) f.data = { mix: { R: 5, T: 2, P: 3 } };
    if (i % 4 === 0) f.cache = { views: [0], pages: { mix: { R: 6, T: 1, A: 1 } } };
    files.push(f);
  }
  const processes: ProcessSpec[] = [{ name: 'System', pid: 4, ppid: 0, create: os.boot, threads: 8 }];
  const nProc = Math.round(120 * scale);
  for (let p = 0; p < nProc; p++) {
    const pid = 400 + p * 4;
    const vads: VadSpec[] = [
      { kind: 'image', file: `${os.sys32}\\ntdll.dll` },
      { kind: 'image', file: `${os.sys32}\\svchost.exe` },
    ];
    const handles: string[] = [];
    for (let v = 0; v < 170; v++) {
      if (v % 5 === 0) {
        const fi = 2 + rng.int(nFiles);
        const f = files[fi]!;
        if (f.data !== undefined) {
          vads.push({ kind: 'mapped', file: f.path });
          if (handles.length < 40 && !handles.includes(f.path)) handles.push(f.path);
          continue;
        }
      }
      vads.push({ kind: 'private', pages: 1 + rng.int(6), ptes: 'VTZF-' });
    }
    processes.push({
      name: 'svchost.exe',
      pid,
      ppid: 4,
      create: at(os.boot, p),
      commandLine: `C:\\Windows\\System32\\svchost.exe -k group${p}`,
      vads,
      handles: { files: handles },
      exited: p % 30 === 29,
    });
  }
  return {
    name: 'large',
    profile: 'win10-19041-x64',
    seed,
    physicalSize,
    systemTime: at(os.boot, 600),
    files,
    processes,
    noise: { randomPages: Math.round(2000 * scale), staleObjects: Math.round(50 * scale) },
  };
}

export const PRESETS: Record<string, (seed?: number) => Scenario> = {
  'xp-eventlog': (seed) => xpEventlog(seed ?? 1),
  'xp-pae-eventlog': (seed) => ({ ...xpEventlog(seed ?? 1, 'xp-sp3-pae'), name: 'xp-pae-eventlog' }),
  'win7-eventlog': (seed) => x64Eventlog('win7-eventlog', 'win7-sp1-x64', seed ?? 2),
  'win10-eventlog': (seed) => x64Eventlog('win10-eventlog', 'win10-19041-x64', seed ?? 3),
  'xp-edge': (seed) => edgeCases('xp-edge', 'xp-sp2-x86', seed ?? 11),
  'win10-edge': (seed) => edgeCases('win10-edge', 'win10-19041-x64', seed ?? 12),
  large: (seed) => large(seed ?? 7),
};
