import { test } from 'node:test';
import { evtlogsScenario } from '../testing/evtlogs-scenario.js';

test(
  'evtlogs win10-eventlog: the EventLog svchost, every recoverable .evtx record',
  evtlogsScenario('win10-eventlog', /^svchost\.exe 1096$/),
);
