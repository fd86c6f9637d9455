// Every test runs in Node: kernel templates come from the files under kernels/.
import '../../src/codegen/template-files.js';
