"""minishop: a from-scratch transformer recommender for e-commerce, over NumPy (CPU) or CuPy (GPU).

The package's metadata (name, version, description, license, ...) is in pyproject.toml; this file gives the
dependencies, the extras and the console script."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["minishop", "minishop.*"]),
    install_requires=[
        "numpy>=2.0",  # float32 stays float32 in mixed arithmetic (NumPy 1.x promotes it to float64)
        "pandas>=2.2",  # lowest tested (with numpy 2.0); ISO8601/mixed date parsing needs 2.0
        "tqdm>=4.60",
        "regex>=2023.0",
        "safetensors>=0.4",
        "threadpoolctl>=3.0",
        "tomli>=1.1; python_version < '3.11'",  # --config TOML files (the standard library's tomllib from 3.11)
    ],
    extras_require={
        "gpu": ["cupy-cuda12x"],
        "parquet": ["pyarrow>=12"],
        "report": ["matplotlib>=3.6"],  # minishop report RUN (a PNG of the run)
        "dist": ["mpi4py>=3.1", "mpich"],  # data-parallel training over processes: mpiexec -n 2 minishop train
        "test": ["pytest>=7", "hypothesis>=6", "torch==2.13.0", "nbclient>=0.7", "nbformat>=5", "ipykernel>=6", "jupytext>=1.14",
                 "mpi4py>=3.1", "mpich", "pyarrow>=12", "tokenizers>=0.20", "matplotlib>=3.6"],  # 2-rank, Parquet, HF-tokenizer tests run
        "lessons": ["jupyter", "matplotlib>=3.6", "nbclient>=0.7", "nbformat>=5", "ipykernel>=6", "jupytext>=1.14"],
    },
    entry_points={"console_scripts": ["minishop=minishop.cli:main"]},
)
