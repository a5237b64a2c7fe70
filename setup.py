"""minishop: a from-scratch transformer recommender for e-commerce, over NumPy (CPU) or CuPy (GPU)."""

from setuptools import find_packages, setup

setup(
    name="minishop",
    version="0.1.0",
    description="Learn how a transformer recommender works by building one from nothing, for e-commerce data.",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["minishop", "minishop.*"]),
    python_requires=">=3.10",
    install_requires=[
        "numpy>=1.24",
        "pandas>=1.5",
        "tqdm>=4.60",
        "regex>=2023.0",
        "safetensors>=0.4",
        "matplotlib>=3.6",
        "threadpoolctl>=3.0",
    ],
    extras_require={
        "gpu": ["cupy-cuda12x"],
        "parquet": ["pyarrow>=12"],
        "dist": ["mpi4py>=3.1", "mpich"],  # data-parallel training over processes: mpiexec -n 2 minishop train
        "test": ["pytest>=7", "hypothesis>=6", "torch==2.13.0", "nbclient>=0.7", "nbformat>=5", "ipykernel>=6", "jupytext>=1.14",
                 "mpi4py>=3.1", "mpich", "pyarrow>=12", "tokenizers>=0.20"],  # 2-rank, Parquet, HF-tokenizer tests run
        "lessons": ["jupyter", "nbclient>=0.7", "nbformat>=5", "ipykernel>=6", "jupytext>=1.14"],
    },
    entry_points={"console_scripts": ["minishop=minishop.cli:main"]},
    license="MIT",
)
