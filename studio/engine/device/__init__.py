"""Devices: choosing CUDA, MPS or the CPU, host memory during jobs, and warming torch up."""
