"""The compiled core: the numba kernels (`kernels`) and `ArtworkSimulator` (`core`), the
production sibling of the numpy specification; `threads` keeps numpy's BLAS on
one thread beside them.
"""
