/**
 * The documented column names of `memdig evt` and `memdig evtx`, spelled out once for the tests: scripts rely on
 * them, so a test states them rather than reading them back from the code under test.
 */
export const EVT_KEYS = [
  'record_number',
  'time_generated',
  'time_written',
  'event_id',
  'event_identifier',
  'event_type',
  'category',
  'source',
  'computer',
  'sid',
  'strings',
  'data_hex',
  'offset',
  'recovered',
  'partial',
];

export const EVTX_KEYS = [
  'record_id',
  'time_created',
  'event_id',
  'level',
  'provider',
  'channel',
  'computer',
  'chunk',
  'offset',
  'data',
];
