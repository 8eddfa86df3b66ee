{
  "targets": [
    {
      # The AVX2/FMA micro-kernel alone is compiled with -mavx2 -mfma; the addon picks it at run time
      # only on CPUs that have both, so the same binary loads on any x86-64.
      "target_name": "wgan_native_avx2",
      "type": "static_library",
      "sources": [],
      "conditions": [
        ["target_arch=='x64'", {
          "sources": ["src/gemm_avx2.cc", "src/conv_small_avx2.cc"],
          "cflags_cc": ["-O3", "-mavx2", "-mfma", "-fPIC", "-std=c++17"]
        }]
      ],
      "cflags_cc!": ["-fno-exceptions"],
    },
    {
      # Likewise the AVX-512 micro-kernel (-mavx512f), picked at run time on CPUs with AVX-512F.
      "target_name": "wgan_native_avx512",
      "type": "static_library",
      "sources": [],
      "conditions": [
        ["target_arch=='x64'", {
          "sources": ["src/gemm_avx512.cc", "src/conv_small_avx512.cc"],
          "cflags_cc": ["-O3", "-mavx512f", "-mfma", "-fPIC", "-std=c++17"]
        }]
      ],
      "cflags_cc!": ["-fno-exceptions"],
    },
    {
      "target_name": "wgan_native",
      "sources": ["src/addon.cc", "src/pool.cc", "src/gemm.cc", "src/conv.cc", "src/ops.cc"],
      "dependencies": ["wgan_native_avx2", "wgan_native_avx512"],
      # -fno-trapping-math: we never read FP exception flags; it lets branch-free selects vectorise.
      "cflags_cc": ["-O3", "-std=c++17", "-fPIC", "-fno-trapping-math"],
      "cflags_cc!": ["-fno-exceptions"],
      "ldflags": ["-pthread"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
