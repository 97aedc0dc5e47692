import { readIsfFile, parseIsf } from './dist/symbols/isf.js';
import { readFileSync } from 'node:fs';
const f='/work/shared/linux-dumps/debian-6.1.0-56-amd64.json.xz';
const mode=process.argv[2];
const c0=process.cpuUsage(); const t0=performance.now();
let doc;
if (mode==='lazy') { doc=readIsfFile(f); doc.user_types.task_struct; doc.symbols.init_task; }
else { doc=parseIsf(readFileSync(f), f); }
const c=process.cpuUsage(c0);
console.log(mode, Object.keys(doc.user_types).length, 'wall',(performance.now()-t0).toFixed(0),'cpu',((c.user+c.system)/1000).toFixed(0),'rss',(process.memoryUsage().rss/1e6).toFixed(0),'MB');
