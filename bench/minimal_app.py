"""The start-up floor: a minimal Typer app that prints one line."""

from __future__ import annotations

import typer

app = typer.Typer(add_completion=False)


@app.command()
def main() -> None:
    print("hello")


if __name__ == "__main__":
    app()
