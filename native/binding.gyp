{
  "targets": [
    {
      "target_name": "onednn_conv",
      "sources": ["addon.cc", "conv.cc", "ops.cc", "eltwise.cc", "batchnorm.cc", "optim.cc"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fopenmp", "-ffp-contract=off"],
      "ldflags": ["-fopenmp"],
      "libraries": ["-ldnnl", "-lgomp"]
    }
  ]
}
