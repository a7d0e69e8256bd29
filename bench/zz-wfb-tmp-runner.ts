import { run } from './polling.bench';
run({ quick: false, tmpDir: '/tmp/wfb', rootDir: '/work/main', wants: () => true, log: (m) => console.error(m) }).then((r) => console.log(JSON.stringify(r, null, 1)));
