#!/bin/sh
# Instala la noche de batch en esta máquina: el usuario batch, sus carpetas,
# el programa, la unidad y el temporizador de systemd, el archivo de
# configuración y el de secretos (modo 0600). Se puede correr de nuevo (tras
# actualizar batch): reemplaza el programa y las unidades y conserva la
# configuración y los secretos que ya existan.
#
#   sudo deploy/instalar.sh                  # en esta máquina
#   deploy/instalar.sh --raiz /tmp/prueba    # en una carpeta, para ver qué deja
#
# Opciones:
#   --raiz DIR       instala bajo DIR (DIR/etc/batch, DIR/srv/batch...) sin
#                    crear el usuario ni tocar systemd; las rutas de lo
#                    instalado (unidades, configuración) apuntan bajo DIR
#   --binario RUTA   el programa batch ya compilado (por defecto se compila
#                    con go desde este repositorio)
set -eu

raiz=""
binario=""
uso() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case "$1" in
	--raiz) raiz=${2:?"--raiz necesita una carpeta"}; shift 2 ;;
	--raiz=*) raiz=${1#--raiz=}; shift ;;
	--binario) binario=${2:?"--binario necesita la ruta del programa"}; shift 2 ;;
	--binario=*) binario=${1#--binario=}; shift ;;
	-h | --help) uso; exit 0 ;;
	*) echo "instalar.sh: la opción $1 no existe (vea --help)" >&2; exit 2 ;;
	esac
done

aqui=$(cd "$(dirname "$0")" && pwd)
if [ -n "$raiz" ]; then
	mkdir -p "$raiz"
	raiz=$(cd "$raiz" && pwd)
fi
real=0
[ -z "$raiz" ] && real=1
if [ "$real" = 1 ] && [ "$(id -u)" != 0 ]; then
	echo "instalar.sh: para instalar en esta máquina hace falta root (sudo); para probar, use --raiz CARPETA" >&2
	exit 2
fi

if [ -z "$binario" ]; then
	command -v go >/dev/null 2>&1 || { echo "instalar.sh: no hay go para compilar batch; dé el programa con --binario" >&2; exit 2; }
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	(cd "$aqui/.." && CGO_ENABLED=0 go build -trimpath -o "$tmp/batch" ./cmd/batch)
	binario="$tmp/batch"
fi

if [ "$real" = 1 ] && ! id batch >/dev/null 2>&1; then
	useradd --system --user-group --home-dir /var/lib/batch --no-create-home --shell /usr/sbin/nologin batch
	echo "usuario batch creado"
fi

# carpeta modo [dueño]: crea la carpeta con su modo; el dueño solo en la máquina real.
carpeta() {
	install -d -m "$2" "$raiz$1"
	if [ "$real" = 1 ] && [ -n "${3:-}" ]; then chown "$3" "$raiz$1"; fi
}
carpeta /usr/local/bin 0755
carpeta /usr/local/lib/batch 0755
carpeta /etc/systemd/system 0755
carpeta /etc/batch 0750 root:batch
carpeta /srv/batch 0750 batch:batch
carpeta /srv/batch/entrada 0770 batch:batch
carpeta /srv/batch/resultados 0750 batch:batch
carpeta /var/lib/batch 0700 batch:batch
carpeta /var/log/batch 0750 batch:batch

# copiar origen destino modo: instala un archivo de texto de deploy/; bajo
# --raiz, con sus rutas de la máquina llevadas bajo la raíz.
copiar() {
	if [ -z "$raiz" ]; then
		install -m "$3" "$aqui/$1" "$2"
		return
	fi
	sed -e "s#/etc/batch#$raiz/etc/batch#g" -e "s#/srv/batch#$raiz/srv/batch#g" \
		-e "s#/var/lib/batch#$raiz/var/lib/batch#g" -e "s#/var/log/batch#$raiz/var/log/batch#g" \
		-e "s#/usr/local/bin/batch#$raiz/usr/local/bin/batch#g" -e "s#/usr/local/lib/batch#$raiz/usr/local/lib/batch#g" \
		"$aqui/$1" > "$raiz$2"
	chmod "$3" "$raiz$2"
}

install -m 0755 "$binario" "$raiz/usr/local/bin/batch"
copiar avisar.sh /usr/local/lib/batch/avisar.sh 0755
for unidad in batch-nocturno.service batch-nocturno.timer batch-aviso@.service; do
	copiar "$unidad" "/etc/systemd/system/$unidad" 0644
done

# primera vez: archivo destino modo [dueño]; lo que ya existe no se toca.
primera_vez() {
	if [ -e "$raiz$2" ]; then
		echo "se conserva $raiz$2"
		return
	fi
	copiar "$1" "$2" "$3"
	if [ "$real" = 1 ] && [ -n "${4:-}" ]; then chown "$4" "$raiz$2"; fi
	echo "instalado $raiz$2 (edítelo)"
}
primera_vez config.toml.ejemplo /etc/batch/config.toml 0640 root:batch
primera_vez batch.env.ejemplo /etc/batch/batch.env 0600 batch:batch

if [ "$real" = 1 ] && [ -d /run/systemd/system ]; then
	systemctl daemon-reload
	systemctl enable --now batch-nocturno.timer
	echo "temporizador batch-nocturno.timer activo (cada noche a las 2:00)"
fi
echo "listo. Revise la noche antes de que corra: $raiz/usr/local/bin/batch config --config $raiz/etc/batch/config.toml"
