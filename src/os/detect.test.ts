import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BufferMemory } from '../sources/buffer.js';
import { detectLinux } from './detect.js';

test('Linux is recognised by VMCOREINFO text in RAM, else by its banner', () => {
  const a = new BufferMemory();
  a.write(0x3000, Buffer.from('OSRELEASE=6.1.0-56-amd64\nBUILD-ID=eb\nPAGESIZE=4096\n\0'));
  assert.deepEqual(detectLinux(a), {
    os: 'linux',
    description: 'Linux 6.1.0-56-amd64',
    foundVia: 'VMCOREINFO in RAM at 0x3000',
  });
  const b = new BufferMemory();
  b.write(
    0x2010,
    Buffer.from('Linux version 5.10.0-9-amd64 (debian-kernel@lists.debian.org) (gcc-10) #1 SMP\0'),
  );
  assert.equal(detectLinux(b)?.description, 'Linux 5.10.0-9-amd64');
  assert.match(detectLinux(b)!.foundVia, /linux_banner at 0x2010/);
  const c = new BufferMemory();
  c.write(0, Buffer.from('OSRELEASE=notreally'));
  assert.equal(detectLinux(c), null);
});
