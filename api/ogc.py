"""Placeholder: being written."""

from fastapi import APIRouter


def features_router() -> APIRouter:
    return APIRouter()
