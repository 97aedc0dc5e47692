import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSystemLogName, logKind, rankEventLogHosts } from './eventlog-service.js';
import type { WinProcess } from './processes.js';
import type { WinVad } from './vads.js';

function proc(pid: number, name: string, commandLine: string | null = null): WinProcess {
  return {
    eprocess: 0x80000000 + pid,
    physical: pid * 0x1000,
    pid,
    ppid: 4,
    name,
    createTime: null,
    exitTime: null,
    dtb: 0,
    peb: 0,
    objectTable: 0,
    foundBy: 'list',
    commandLine,
  };
}

function vad(kind: WinVad['kind'], fileName: string | null): WinVad {
  return {
    node: 0,
    start: 0,
    end: 0xfff,
    tag: 'Vad ',
    kind,
    vadType: 0,
    protection: 1,
    protectionName: 'READONLY',
    privateMemory: false,
    commitCharge: 0,
    controlArea: 0,
    subsection: 0,
    firstPrototypePte: 0,
    lastContiguousPte: 0,
    fileObject: fileName ? 0x81000000 : 0,
    fileName,
  };
}

const cfg = '\\WINDOWS\\system32\\config';
const logs = '\\Windows\\System32\\winevt\\Logs';

test('rank: XP services.exe mapping .evt files is the EventLog host; a services.exe that maps none is not', () => {
  const real = proc(652, 'services.exe');
  const fake = proc(1700, 'services.exe');
  const other = proc(900, 'svchost.exe');
  const vads = new Map<WinProcess, WinVad[]>([
    [
      real,
      [
        vad('image', '\\WINDOWS\\system32\\services.exe'),
        vad('mapped', `${cfg}\\AppEvent.Evt`),
        vad('mapped', `${cfg}\\SysEvent.Evt`),
      ],
    ],
    [fake, [vad('image', '\\Temp\\services.exe')]],
    [other, [vad('private', null)]],
  ]);
  const r = rankEventLogHosts([fake, other, real], (p) => vads.get(p) ?? []);
  assert.equal(r.length, 1);
  assert.equal(r[0]!.process.pid, 652);
  assert.deepEqual(r[0]!.mappedLogs, [`${cfg}\\AppEvent.Evt`, `${cfg}\\SysEvent.Evt`]);
  assert.match(r[0]!.reasons.join('; '), /maps 2 classic event logs.*services\.exe/);
});

test('rank: Vista+ svchost with wevtsvc.dll and .evtx views is the host; a process mapping a copied .evtx is not', () => {
  const el = proc(
    1096,
    'svchost.exe',
    'C:\\Windows\\System32\\svchost.exe -k LocalServiceNetworkRestricted -p -s EventLog',
  );
  const user = proc(3000, 'notepad.exe');
  const vads = new Map<WinProcess, WinVad[]>([
    [
      el,
      [
        vad('image', '\\Windows\\System32\\wevtsvc.dll'),
        vad('mapped', `${logs}\\System.evtx`),
        vad('mapped', `${logs}\\Security.evtx`),
      ],
    ],
    [user, [vad('mapped', '\\Users\\x\\Downloads\\System.evtx')]],
  ]);
  const r = rankEventLogHosts([user, el], (p) => vads.get(p) ?? []);
  assert.equal(r[0]!.process.pid, 1096);
  const why = r[0]!.reasons.join('; ');
  assert.match(why, /wevtsvc\.dll/);
  assert.match(why, /-s EventLog/);
  assert.equal(r.length, 1, 'a copied log in Downloads does not make a host');
});

test('log names: kind from the extension, system logs only where Windows keeps them', () => {
  assert.equal(logKind(`${cfg}\\SecEvent.Evt`), 'evt');
  assert.equal(logKind(`${logs}\\Microsoft-Windows-PowerShell%4Operational.evtx`), 'evtx');
  assert.equal(logKind('\\x\\notes.txt'), null);
  assert.equal(logKind(null), null);
  assert.ok(isSystemLogName(`${cfg}\\SecEvent.Evt`));
  assert.ok(isSystemLogName(`${logs}\\System.evtx`));
  assert.ok(!isSystemLogName('\\Users\\x\\Downloads\\System.evtx'));
  assert.ok(!isSystemLogName(`${logs}\\sub\\System.evtx`));
});
