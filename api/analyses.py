"""Placeholder: being written."""

from fastapi import APIRouter


def analyses_router() -> APIRouter:
    return APIRouter()
