/** The manifest: what a perfect reader reports for the image. Format documented in README.md. */

export type PageStateName = 'resident' | 'transition' | 'pagedout' | 'absent';

export interface ManifestFilePage {
  offset: number;
  /** Best state over all sources: resident > transition > pagedout > absent. */
  state: PageStateName;
  data?: PageStateName;
  cache?: PageStateName;
  image?: PageStateName;
  /** Physical address holding the page when resident or in transition (hex). */
  pa?: string;
  /** SHA-256 of the page's true bytes (the last page zero-padded to 4 KiB). */
  sha256: string;
}

export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
  origin: string;
  deleted: boolean;
  fileObject: string;
  fileObjectPa: string;
  dataSectionObject: string | null;
  imageSectionObject: string | null;
  sharedCacheMap: string | null;
  subsections: { address: string; startingPage: number; pages: number; subsectionBase: string }[];
  vacbs: { address: string; baseAddress: string; fileOffset: number }[];
  pages: ManifestFilePage[];
}

export interface ManifestVad {
  start: string;
  end: string;
  address: string;
  tag: string;
  kind: 'private' | 'mapped' | 'image';
  protection: number;
  privateMemory: boolean;
  commitCharge: number;
  file: string | null;
  fileOffset: number | null;
  controlArea: string | null;
  firstPrototypePte: string | null;
  lastContiguousPte: string | null;
  /** One character per page: V valid, T transition, P prototype pointer, Z demand zero, F page file, - none. */
  ptes: string;
}

export interface ManifestHandle {
  handle: number;
  type: string;
  object: string;
  objectHeader: string;
  grantedAccess: number;
  name: string;
}

export interface ManifestProcess {
  pid: number;
  ppid: number;
  name: string;
  imageFileName: string;
  eprocess: string;
  eprocessPa: string;
  dtb: string;
  createTime: string;
  exitTime: string | null;
  exited: boolean;
  active: boolean;
  peb: string | null;
  commandLine: string | null;
  objectTable: string | null;
  threads: string[];
  vads: ManifestVad[];
  handles: ManifestHandle[];
}

export interface Manifest {
  format: 'memdig-forge-manifest';
  version: 1;
  scenario: string;
  seed: number;
  profile: string;
  os: { family: string; arch: string; major: number; minor: number; build: number; servicePack: number };
  image: { container: string; path: string; physicalSize: number; ranges: { start: string; end: string }[] };
  kernel: {
    pdb: { name: string; guid: string; age: number };
    base: string;
    basePa: string;
    dtb: string;
    selfRefIndex: number;
    psActiveProcessHead: string;
    psLoadedModuleList: string;
    psInitialSystemProcess: string;
    kdbg: string | null;
    kdbgPa: string | null;
    kuserSharedData: string;
    obHeaderCookie: number | null;
    lowStubPa: string | null;
    objectTypes: Record<string, number>;
    symbols: Record<string, string>;
  };
  processes: ManifestProcess[];
  files: ManifestFile[];
  /** Unreachable stale copies of pool blocks (pool scanners find them; list walkers must not). */
  noise: { randomPages: number; staleCopies: { kind: string; pid: number; poolHeaderPa: string }[] };
  stats: { processes: number; vads: number; fileObjects: number; handles: number; pageTablePages: number };
}
