from kam_common.migrations import run_env
from kam_gateway.models import Base

run_env(Base.metadata)
