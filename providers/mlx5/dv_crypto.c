// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mlx5dv crypto: logins to the device's crypto engine and data encryption
 * keys (DEKs) for AES-XTS memory keys.  smlx has no crypto engine, which
 * rdma-core also reports as EOPNOTSUPP (perftest probes this at start-up).
 */
#include <infiniband/mlx5dv.h>

#include "dv_errors.h"

int mlx5dv_crypto_login(struct ibv_context *context,
			struct mlx5dv_crypto_login_attr *login_attr)
{
	return dv_fail(login_attr ? dv_refusal(context) : EINVAL);
}

int mlx5dv_crypto_login_query_state(struct ibv_context *context,
				    enum mlx5dv_crypto_login_state *state)
{
	return dv_fail(state ? dv_refusal(context) : EINVAL);
}

int mlx5dv_crypto_logout(struct ibv_context *context)
{
	return dv_fail(dv_refusal(context));
}

struct mlx5dv_crypto_login_obj *
mlx5dv_crypto_login_create(struct ibv_context *context,
			   struct mlx5dv_crypto_login_attr_ex *login_attr)
{
	return dv_fail_ptr(login_attr ? dv_refusal(context) : EINVAL);
}

int mlx5dv_crypto_login_query(struct mlx5dv_crypto_login_obj *crypto_login,
			      struct mlx5dv_crypto_login_query_attr *query_attr)
{
	return dv_fail(query_attr ? dv_refusal(crypto_login) : EINVAL);
}

int mlx5dv_crypto_login_destroy(struct mlx5dv_crypto_login_obj *crypto_login)
{
	return dv_fail(dv_refusal(crypto_login));
}

struct mlx5dv_dek *mlx5dv_dek_create(struct ibv_context *context,
				     struct mlx5dv_dek_init_attr *init_attr)
{
	return dv_fail_ptr(init_attr ? dv_refusal(context) : EINVAL);
}

int mlx5dv_dek_query(struct mlx5dv_dek *dek, struct mlx5dv_dek_attr *attr)
{
	return dv_fail(attr ? dv_refusal(dek) : EINVAL);
}

int mlx5dv_dek_destroy(struct mlx5dv_dek *dek)
{
	return dv_fail(dv_refusal(dek));
}
