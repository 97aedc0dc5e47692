import { MemdigError } from '../util/errors.js';
import { registerContainer } from './open.js';

/**
 * Windows hibernation files (hiberfil.sys: 'hibr'/'HIBR', or 'wake'/'WAKE' after a resume) hold memory compressed
 * with Xpress in a table of page runs. Not decoded yet: refuse clearly instead of misreading them as raw memory.
 */
const SIGNATURES = new Set(['hibr', 'HIBR', 'wake', 'WAKE']);

registerContainer({
  name: 'hibernation',
  matches: (h) => h.length >= 4 && SIGNATURES.has(String.fromCharCode(h[0]!, h[1]!, h[2]!, h[3]!)),
  open: (file) => {
    file.close();
    throw new MemdigError(
      `${file.path || 'input'} is a Windows hibernation file (hiberfil.sys): its memory is Xpress-compressed and ` +
        'not supported yet; convert it to a raw image (e.g. Volatility 3 windows.hibernation.Dump) first',
    );
  },
});
