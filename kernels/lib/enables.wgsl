// The WGSL extensions the kernel uses: half-precision storage of its weights (F16), subgroup
// operations (SUBGROUPS).
//#if F16
enable f16;
//#endif
//#if SUBGROUPS
enable subgroups;
//#endif
