// The vec4 stores of a register block, written as one runtime loop instead of one store per
// register. The including kernel walks its store blocks (`//#for st in ...`) around
// `//#include store_loop with body`, and its body stores `v` (a vec4<f32>) at offset `off` of the
// block, for output channel `ch` where the block's items name one.
//
// Why a loop: lavapipe (Mesa's CPU driver) turns every store whose address differs between lanes
// into a loop over the lanes with an activity check and a bounds check per component, and LLVM
// unrolls those: a block of 8-18 unrolled vec4 stores made up about half of a conv kernel's compile
// time at its first run. Iteration i picks item i with a chain of selects (a few vector
// instructions each) and stores it once. The trip count is opaque to the compiler (arrayLength is
// never 0 for a bound buffer), so that the loop is not unrolled again. The chains grow with the
// square of the items, so a block with more than the generator's limit (store-loop.ts) keeps one
// store per item (st.loop false).
//#if st.loop
    let n_st = select({{st.count}}, 0u, arrayLength(&{{STORE_BUFFER}}) == 0u);
    for (var i = 0u; i < n_st; i++) {
      var v: vec4<f32> = {{st.value}};
      var off = {{st.offset}};
//#if st.guarded
      var ok = {{st.when}};
//#endif
//#if st.channel
      var ch = {{st.ch}};
//#endif
//#for it in st.picks
      v = select(v, {{it.value}}, i == {{it.i}});
      off = select(off, {{it.offset}}, i == {{it.i}});
//#if st.guarded
      ok = select(ok, {{it.when}}, i == {{it.i}});
//#endif
//#if st.channel
      ch = select(ch, {{it.ch}}, i == {{it.i}});
//#endif
//#endfor
//#if st.guarded
      if (ok) {
//#body
      }
//#else
//#body
//#endif
    }
//#else
//#for it in st.items
    {
      var v: vec4<f32> = {{it.value}};
      let off = {{it.offset}};
//#if st.channel
      let ch = {{it.ch}};
//#endif
//#if st.guarded
      if ({{it.when}}) {
//#body
      }
//#else
//#body
//#endif
    }
//#endfor
//#endif
