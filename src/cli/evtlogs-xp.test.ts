import { test } from 'node:test';
import { evtlogsScenario } from '../testing/evtlogs-scenario.js';

test(
  'evtlogs xp-eventlog: services.exe, every recoverable record including the deleted SecEvent.Evt',
  evtlogsScenario('xp-eventlog', /^services\.exe 652$/),
);
