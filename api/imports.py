"""Placeholder: being written."""

from fastapi import APIRouter


def imports_router() -> APIRouter:
    return APIRouter()
