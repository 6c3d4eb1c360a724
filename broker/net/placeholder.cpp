// placeholder; removed when the layer has sources
